import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/free-port.js';
import { imageOf, type ShardingRun, startSharding } from '../../support/sharding-run.js';
import { startStackParts, stopStackParts } from '../../support/stack-control.js';

// One of several clusters away (docs/clusters.md): examples/use-cases/sharding
// with the second cluster's apiserver (kube-replay, shard-b) stopped while
// rowkube runs. A node of shard-b waits for its cluster; nodes of shard-a go
// on within the usual latency; /readyz and rowkube_cluster_up show the
// outage; shard-b's nodes catch up when it returns. Stops a part of the
// shared stack: run under its lock (`flock /tmp/rowkube-stack.lock …`).
describe('sink > clusters > one cluster away', () => {
  let sharding: ShardingRun;
  let port: number;
  let stopped = false;

  const readyz = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    return {
      status: response.status,
      body: (await response.json()) as { components: Record<string, { ready: boolean; reason?: string }> },
    };
  };
  const clusterUp = async (cluster: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`rowkube_cluster_up{cluster="${cluster}"}`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  beforeAll(async () => {
    port = await freePort();
    sharding = await startSharding({ observabilityPort: port });
  });

  afterAll(async () => {
    if (stopped) await startStackParts(['kube-replay']);
    await sharding?.stop();
  });

  it('applies the other cluster on time while one is down, shows the outage, and catches up after', async () => {
    const { run, app } = sharding;
    await run.until('acme on shard-a', () => app('shard-a', 'acme'));
    await run.until('globex on shard-b', () => app('shard-b', 'globex'));
    await run.until('/readyz 200 with both clusters up', async () => {
      const { status, body } = await readyz();
      return status === 200 && body.components['sink/cluster/shard-b']?.ready ? true : undefined;
    });
    expect(await clusterUp('shard-a')).toBe(1);
    expect(await clusterUp('shard-b')).toBe(1);

    stopped = true;
    await stopStackParts(['kube-replay']);
    try {
      // A change on the stopped cluster: its node waits for it.
      await run.db.exec(`UPDATE tenants SET app_version = '3.0.0' WHERE tenant_id = 'globex'`);
      const outage = await run.until('/readyz to show shard-b away', async () => {
        const { status, body } = await readyz();
        return status === 503 && body.components['sink/cluster/shard-b']?.ready === false ? body : undefined;
      });
      expect(outage.components['sink/cluster/shard-b']?.reason).toContain("cluster 'shard-b'");
      expect(outage.components['sink/cluster/shard-a']?.ready).toBe(true);
      expect(await clusterUp('shard-b')).toBe(0);
      expect(await clusterUp('shard-a')).toBe(1);

      // A change on the cluster that is up goes through as usual meanwhile.
      const started = performance.now();
      await run.db.exec(`UPDATE tenants SET app_version = '3.0.0' WHERE tenant_id IN ('acme', 'initech')`);
      for (const uid of ['acme', 'initech'])
        await run.until(`${uid} on 3.0.0 on shard-a`, async () =>
          imageOf(await app('shard-a', uid)) === 'ghcr.io/example/app:3.0.0' ? true : undefined,
        );
      const elapsedMs = performance.now() - started;
      // The usual latency is well under a second; a shared, noisy machine gets slack.
      expect(elapsedMs).toBeLessThan(8_000);
    } finally {
      await startStackParts(['kube-replay']);
      stopped = false;
    }

    // Back: the waiting node catches up, and the outage is over on /readyz and in the metrics.
    await run.until(
      'globex on 3.0.0 on shard-b',
      async () =>
        imageOf(await app('shard-b', 'globex')) === 'ghcr.io/example/app:3.0.0' ? true : undefined,
      90_000,
    );
    await run.until('/readyz 200 again', async () => ((await readyz()).status === 200 ? true : undefined));
    expect(await clusterUp('shard-b')).toBe(1);
  });
});
