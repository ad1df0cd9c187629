import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sink/kube/index.js';
import { startUseCase, type UseCaseRun } from '../../../support/use-case-run.js';

// examples/use-cases/single-active on PostgreSQL
// (docs/use-cases/single-active.md), the zen-lead pattern: one worker replica
// per tenant, replaced with strategy Recreate, behind a leader Service whose
// endpoints are that one pod. A version change never has two workers at once
// (pods watched throughout); deactivating the tenant removes it all.
describe('use cases > a single active component per tenant', () => {
  let run: UseCaseRun;

  const namespace = () => run.tenantNamespace('acme');
  const get = (apiVersion: string, kind: string, name: string) =>
    run.kube.get({ apiVersion, kind, namespace: namespace(), name });
  /** The worker's pods that still run or may run: what a second active worker would be. */
  const livePods = async () =>
    (await run.kube.list('v1', 'Pod', 'app=worker', { namespace: namespace() })).filter((pod) => {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      return phase !== 'Succeeded' && phase !== 'Failed';
    });
  const imageOf = (pod: KubeObject) => (pod.spec as { containers: { image: string }[] }).containers[0]?.image;
  /** The addresses of the leader Service's ready endpoints. */
  const leaderEndpoints = async () => {
    const slices = await run.kube.list(
      'discovery.k8s.io/v1',
      'EndpointSlice',
      'kubernetes.io/service-name=worker-leader',
      { namespace: namespace() },
    );
    return slices.flatMap(
      (slice) =>
        (slice.endpoints as { addresses: string[]; conditions?: { ready?: boolean } }[] | undefined)
          ?.filter((endpoint) => endpoint.conditions?.ready !== false)
          .flatMap((endpoint) => endpoint.addresses) ?? [],
    );
  };

  beforeAll(async () => {
    run = await startUseCase({ example: 'single-active', kind: 'postgres' });
  });

  afterAll(async () => {
    await run?.stop();
  });

  it('one worker replica, replaced by Recreate, and a leader Service routing to that one pod', async () => {
    const worker = await run.until('acme worker Available', async () => {
      const deployment = await get('apps/v1', 'Deployment', 'worker');
      return (deployment?.status as { availableReplicas?: number } | undefined)?.availableReplicas === 1
        ? deployment
        : undefined;
    });
    expect(worker.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    const service = await run.until('acme worker-leader Service', () =>
      get('v1', 'Service', 'worker-leader'),
    );
    expect((service.spec as { selector: unknown }).selector).toEqual({ app: 'worker', role: 'leader' });

    const [pod, ...others] = await livePods();
    expect(others).toEqual([]);
    const podIp = (pod?.status as { podIP?: string } | undefined)?.podIP;
    const endpoints = await run.until('the leader Service to route to the one pod', async () => {
      const addresses = await leaderEndpoints();
      return addresses.length > 0 ? addresses : undefined;
    });
    expect(endpoints).toEqual([podIp]);
  });

  it('a new version replaces the worker without ever running two', async () => {
    // Every change to the worker's pods from now on, as `kubectl get pods -w`
    // shows them: a watch from the list's version misses no moment.
    const isLive = (pod: KubeObject) => {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      return phase !== 'Succeeded' && phase !== 'Failed';
    };
    const listed = await run.kube.listVersioned('v1', 'Pod', 'app=worker', { namespace: namespace() });
    const live = new Set(listed.items.filter(isLive).map((pod) => pod.metadata.name as string));
    let most = live.size;
    const seen = new Set(live);
    const stop = new AbortController();
    const events = await run.kube.watch('v1', 'Pod', 'app=worker', {
      namespace: namespace(),
      resourceVersion: listed.resourceVersion,
      timeoutSeconds: 120,
      signal: stop.signal,
    });
    const watched = (async () => {
      for await (const event of events) {
        const name = event.object.metadata.name as string;
        seen.add(name);
        if (event.type === 'DELETED' || !isLive(event.object)) live.delete(name);
        else if (event.type === 'ADDED' || event.type === 'MODIFIED') live.add(name);
        most = Math.max(most, live.size);
      }
    })().catch((error: unknown) => {
      if (!stop.signal.aborted) throw error;
    });
    try {
      await run.db.exec(`UPDATE tenants SET worker_version = '1.5.0' WHERE tenant_id = 'acme'`);
      await run.until('the acme worker pod on 1.5.0, Ready', async () => {
        const pods = await livePods();
        const ready = pods.length === 1 && imageOf(pods[0] as KubeObject) === 'ghcr.io/example/worker:1.5.0';
        return ready && (await leaderEndpoints()).length === 1 ? true : undefined;
      });
    } finally {
      stop.abort();
      await watched;
    }
    // The old pod and its successor both went by, never side by side.
    expect(seen.size).toBeGreaterThanOrEqual(2);
    expect(most).toBe(1);
  });

  it('deactivating the tenant removes its worker and leader Service', async () => {
    await run.db.exec(`UPDATE tenants SET active = FALSE WHERE tenant_id = 'acme'`);
    await run.until('acme worker gone', async () =>
      (await get('apps/v1', 'Deployment', 'worker')) ? undefined : true,
    );
    await run.until('acme leader Service gone', async () =>
      (await get('v1', 'Service', 'worker-leader')) ? undefined : true,
    );
  });
});
