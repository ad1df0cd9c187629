import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayReport, runReplay } from '../../src/replay/index.js';
import { type KubeApi, KubeClient, type KubeObject } from '../../src/sink/kube/index.js';
import { ownerSelector } from '../../src/sink/ownership/index.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import {
  createSinkTopics,
  deleteNamespaces,
  node,
  resource,
  SinkHarness,
} from '../../support/sink-harness.js';
import { replayKubeconfig } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Replay rebuilds a cluster from `<prefix>.desired`: the sink applies a
// history of desired records to the first cluster of the local stack, then
// `rowkube replay` rebuilds the second, empty one (KUBECONFIG_REPLAY), and the
// objects of both are compared field by field; then `--at` a time between two
// versions rebuilds the earlier state into the second cluster.

const KINDS = [
  { apiVersion: 'v1', kind: 'Namespace' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
];

/** What must be equal between the clusters; the server's own fields (uid, clusterIP, status) are left out. */
function comparable(object: KubeObject): object {
  const { kind, metadata } = object;
  const spec = { ...((object as { spec?: Record<string, unknown> }).spec ?? {}) };
  // Allocated by each cluster on its own.
  delete spec.clusterIP;
  delete spec.clusterIPs;
  return {
    kind,
    namespace: metadata.namespace ?? null,
    name: metadata.name,
    labels: metadata.labels ?? {},
    data: (object as { data?: unknown }).data ?? null,
    spec: kind === 'Namespace' ? null : spec,
  };
}

/** Every live object of this prefix in a cluster, sorted, in comparable form. */
async function objectsOf(kube: KubeApi, prefix: string): Promise<object[]> {
  const all: KubeObject[] = [];
  for (const { apiVersion, kind } of KINDS)
    all.push(...(await kube.list(apiVersion, kind, ownerSelector(prefix))));
  return all
    .filter((object) => object.metadata.deletionTimestamp === undefined)
    .map(comparable)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('replay > rebuilds a cluster from the desired topic, now and as of a time', () => {
  const harness = new SinkHarness();
  const replayKube = KubeClient.fromKubeconfigFile(replayKubeconfig());
  const ns = harness.namespace;
  const { prefix } = harness;

  const tenant = (uid: string, version: { plan: string; replicas: number }, commitTsMs: number) => {
    const namespace = `${ns}-${uid}`;
    return node(
      uid,
      [
        resource('ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }),
        resource(
          'config',
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'settings', namespace, labels: { plan: version.plan } },
            data: { plan: version.plan },
          },
          { dependIds: ['ns'] },
        ),
        resource(
          'app',
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'web', namespace },
            spec: {
              replicas: version.replicas,
              selector: { matchLabels: { app: 'web' } },
              template: {
                metadata: { labels: { app: 'web' } },
                spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
              },
            },
          },
          // Readiness in the rebuilt cluster too: its kwok node runs the pods.
          { dependIds: ['config'], waitForReady: uid === 'a', timeoutSeconds: 60 },
        ),
        resource(
          'svc',
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'web', namespace },
            spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
          },
          { dependIds: ['app'] },
        ),
      ],
      BigInt(commitTsMs),
    );
  };

  // The history: a and b exist as of `at`; afterwards a changes, c is created and b deleted.
  const at = Date.now() - 60_000;
  const before = at - 60_000;

  beforeAll(async () => {
    await harness.setUp();
    await createSinkTopics(harness);
    await harness.write([
      tenant('a', { plan: 'basic', replicas: 1 }, before),
      tenant('b', { plan: 'basic', replicas: 1 }, before),
    ]);
    await harness.write([
      tenant('a', { plan: 'pro', replicas: 3 }, Date.now()),
      tenant('c', { plan: 'basic', replicas: 1 }, Date.now()),
      // A tombstone has no commit time: its Kafka timestamp (now) is when it happened.
      { id: 'web/b', value: null },
    ]);
  });

  afterAll(async () => {
    await harness.tearDown();
    await deleteNamespaces(replayKube, ns);
    replayKube.close();
  });

  it('rebuilds into an empty cluster the same objects the sink made in the first', async () => {
    harness.start();
    const first = await waitFor(
      'the sink to apply a (pro) and c, and to delete b',
      async () => {
        const objects = await objectsOf(harness.kube, prefix);
        const names = objects.map((o) => JSON.stringify(o));
        const done =
          objects.length === 8 &&
          names.some((o) => o.includes('"plan":"pro"')) &&
          !names.some((o) => o.includes(`${ns}-b`));
        return done ? objects : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await harness.stop();
    expect(await objectsOf(replayKube, prefix)).toEqual([]);

    const replay = new RowkubeProcess([
      'replay',
      '--config',
      harness.configPath,
      '--kubeconfig',
      replayKubeconfig(),
    ]);
    expect(await replay.exited(), replay.text()).toBe(0);
    expect(replay.text()).toMatch(/nodes: 2 live, 1 deleted, 0 not rendered/);
    expect(replay.text()).toMatch(/audit actions: created 8\n/);
    expect(replay.text()).toMatch(/result: 2 nodes done, 0 failed/);
    expect(replay.text()).toMatch(/^replay: 2\/2 nodes, 8 objects, 0 failed/m);

    expect(await objectsOf(replayKube, prefix)).toEqual(first);
    // The replayed Deployment became Available there: replay waited for it as the sink does.
    const deployment = await replayKube.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: `${ns}-a`,
      name: 'web',
    });
    expect(deployment?.status).toMatchObject({ availableReplicas: 3 });

    // Its actions are in the audit stream, marked as the replay's and without a latency.
    const events = (await harness.events('a')).filter((e) => e.reason.startsWith('replay: '));
    expect(events.map((e) => e.action).sort()).toEqual(['created', 'created', 'created', 'created']);
    expect(events.every((e) => e.latencyMs === null)).toBe(true);
  });

  it('--at a time between two versions yields the earlier version, without the later node and with the deleted one', async () => {
    const progress: string[] = [];
    const report: ReplayReport = await runReplay({
      config: harness.config,
      kafka: harness.kafka,
      kube: replayKube,
      logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
      signal: new AbortController().signal,
      atMs: at,
      readinessPollMs: 100,
      onProgress: (line) => progress.push(line),
    });
    expect(report.failures).toEqual([]);
    expect(report.selection).toMatchObject({ live: 2, deleted: [], later: ['web/c'], laterRecords: 3 });
    // The target held the current state: c is not live as of `at`, so it is removed.
    expect(report.removed).toEqual(['web/c']);
    expect(report.succeeded).toBe(3);
    expect(progress.at(-1)).toMatch(/^replay: 3\/3 nodes/);

    const objects = await waitFor('c to be gone from the rebuilt cluster', async () => {
      const all = await objectsOf(replayKube, prefix);
      return all.some((o) => JSON.stringify(o).includes(`${ns}-c`)) ? undefined : all;
    });
    const configMaps = objects.filter((o) => (o as { kind: string }).kind === 'ConfigMap');
    expect(configMaps).toEqual([
      expect.objectContaining({ namespace: `${ns}-a`, data: { plan: 'basic' } }),
      expect.objectContaining({ namespace: `${ns}-b`, data: { plan: 'basic' } }),
    ]);
    const deployments = objects.filter((o) => (o as { kind: string }).kind === 'Deployment');
    expect(
      deployments.map((d) => [
        (d as { namespace: string }).namespace,
        (d as { spec: { replicas: number } }).spec.replicas,
      ]),
    ).toEqual([
      [`${ns}-a`, 1],
      [`${ns}-b`, 1],
    ]);
  });
});
