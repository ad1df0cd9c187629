import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import {
  createSinkTopics,
  deleteNamespaces,
  node,
  resource,
  SinkHarness,
} from '../../support/sink-harness.js';
import { replayKubeconfig } from '../../support/stack-env.js';

// `rowkube replay --wait` against the local stack's second cluster
// (KUBECONFIG_REPLAY), whose controller manager, scheduler and kwok node make
// a Deployment Available: the replay returns once the replayed objects are
// ready, and fails naming the object when one cannot get ready in time (a
// Deployment whose pods no node can take).

describe('replay > --wait: until the replayed objects are ready', () => {
  const harness = new SinkHarness();
  const replayKube = KubeClient.fromKubeconfigFile(replayKubeconfig());
  const ns = harness.namespace;

  const tenant = (uid: string, podSpec: object = {}) => {
    const namespace = `${ns}-${uid}`;
    return node(uid, [
      resource('ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }),
      resource(
        'app',
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], ...podSpec },
            },
          },
        },
        // No waitForReady: only --wait makes the replay wait for it.
        { dependIds: ['ns'] },
      ),
    ]);
  };
  const replay = (...args: string[]) =>
    new RowkubeProcess([
      'replay',
      '--config',
      harness.configPath,
      '--kubeconfig',
      replayKubeconfig(),
      '--wait',
      ...args,
    ]);

  beforeAll(async () => {
    await harness.setUp();
    await createSinkTopics(harness);
  });

  afterAll(async () => {
    await harness.tearDown();
    await deleteNamespaces(replayKube, ns);
    replayKube.close();
  });

  it('returns once every replayed object is ready, with exit code 0', async () => {
    await harness.write([tenant('a'), tenant('b')]);
    const run = replay('--wait-timeout', '60');
    expect(await run.exited(), run.text()).toBe(0);
    expect(run.text()).toMatch(/result: 2 nodes done, 0 failed/);
    expect(run.text()).toMatch(/wait: 4 objects ready, 0 not ready within 60 s \(2 nodes, /);
    expect(run.text()).toMatch(/^replay --wait: 2\/2 nodes, 4 objects ready, 0 not ready/m);
    // Ready at the moment replay ended, without waiting here: replay waited.
    for (const uid of ['a', 'b']) {
      const deployment = await replayKube.get({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: `${ns}-${uid}`,
        name: 'web',
      });
      expect(deployment?.status).toMatchObject({ availableReplicas: 2 });
    }
  });

  it('exits 1 after --wait-timeout, naming the object that cannot get ready', async () => {
    await harness.write([tenant('stuck', { nodeSelector: { 'example.com/no-such-node': 'true' } })]);
    const started = Date.now();
    const run = replay('--wait-timeout', '3');
    expect(await run.exited(), run.text()).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    const text = run.text();
    // Applying went fine: only the wait failed.
    expect(text).toMatch(/result: 3 nodes done, 0 failed/);
    expect(text).toMatch(/wait: 5 objects ready, 1 not ready within 3 s \(3 nodes, /);
    expect(text).toContain(
      `not ready web/stuck: Deployment/${ns}-stuck/web: timed_out (${ErrorCode.READY_TIMEOUT}) not ready after `,
    );
    expect(text).not.toMatch(/not ready web\/[ab]:/);

    // The audit stream has it too, as the replay's.
    const events = (await harness.events('stuck', 'app')).filter((e) => e.action === 'timed_out');
    expect(events).toEqual([
      expect.objectContaining({
        errorCode: ErrorCode.READY_TIMEOUT,
        reason: expect.stringMatching(/^replay: not ready after [\d.]+ s: /),
        object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: `${ns}-stuck`, name: 'web' },
      }),
    ]);
  });
});
