import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/sink/index.js';
import { node, resource, SinkHarness } from '../../support/sink-harness.js';
import { waitFor } from '../../support/wait-for.js';

// Readiness and drift from watches, against the real control plane. The
// drift pass is off (driftIntervalSeconds 0), so whatever is set back is set
// back by the watch event; readiness polling is made so slow (10 min) that a
// wait which ends in seconds can only have ended on a watch event.
describe('sink > watch > readiness and drift', () => {
  const harness = new SinkHarness('driftIntervalSeconds: 0');
  const ns = harness.namespace;

  const configMap = (name: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
    data: { mode: 'desired' },
  });
  const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
  const deployment = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
      },
    },
  });

  beforeAll(async () => {
    await harness.setUp();
  });
  afterAll(() => harness.tearDown());

  it('a waitForReady Deployment lets its dependent go on the watch event that makes it Available', async () => {
    const signal = new AbortController().signal;
    const resources = await ResourceManager.open({
      kube: harness.kube,
      config: harness.config,
      watch: true,
      readinessPollMs: 600_000,
    });
    try {
      expect(resources.watching).toBe(true);
      const started = Date.now();
      const changes = await resources.apply(
        node('ready', [
          resource('app', deployment('ready'), { waitForReady: true, timeoutSeconds: 60 }),
          resource('after', configMap('after-ready'), { dependIds: ['app'] }),
        ]),
        { verify: false, signal },
      );
      expect(changes.failure).toBeUndefined();
      expect(changes.events.map((event) => `${event.resourceId} ${event.action}`)).toEqual([
        'app created',
        'after created',
      ]);
      // A poll would have looked once, seen it not Available, and slept 10 minutes.
      expect(Date.now() - started).toBeLessThan(60_000);
      // The wait verb answers from the cache too.
      const waited = await resources.wait(
        node('ready', [resource('app', deployment('ready'), { waitForReady: true })]),
        { timeoutMs: 5_000, signal },
      );
      expect(waited.events).toEqual([]);
    } finally {
      resources.close();
    }
  });

  describe('with the sink running', () => {
    beforeAll(() => harness.start());

    it('undoes an edit by another field manager and recreates a deleted object, without a drift pass', async () => {
      await harness.write([
        node('drift', [
          resource('plain', configMap('plain')),
          resource('forced', configMap('forced'), { conflictPolicy: 'Force' }),
          resource('stuck', configMap('stuck')),
        ]),
      ]);
      for (const id of ['plain', 'forced', 'stuck']) await harness.untilEvent('drift', id, 'created');
      const original = await harness.kube.get(ref('plain'));

      // Deleted by hand: recreated as a new object.
      await harness.kube.delete(ref('plain'), { propagation: 'Background' });
      const recreated = await waitFor(
        'the deleted ConfigMap to be recreated',
        async () => {
          const object = await harness.kube.get(ref('plain'));
          return object?.metadata.uid !== original?.metadata.uid ? object : undefined;
        },
        { timeoutMs: 5_000, intervalMs: 50 },
      );
      expect(recreated?.data).toEqual({ mode: 'desired' });

      // Edited by another field manager (as kubectl would), which takes the field: set back.
      const edit = (name: string) =>
        harness.kube.apply(
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name, namespace: ns },
            data: { mode: 'hand-edited' },
          },
          { fieldManager: 'kubectl-edit', force: true },
        );
      await edit('forced');
      await waitFor(
        'the hand-edited field to be reverted',
        async () => {
          const data = (await harness.kube.get(ref('forced')))?.data as { mode?: string } | undefined;
          return data?.mode === 'desired' ? true : undefined;
        },
        { timeoutMs: 5_000, intervalMs: 50 },
      );
      const configured = await harness.untilEvent('drift', 'forced', 'configured', { timeoutMs: 5_000 });
      expect(configured.reason).toBe('applied a changed object');

      // conflictPolicy Stuck: the edit is reported as a conflict and left, as the drift pass does.
      await edit('stuck');
      const conflict = await harness.untilEvent('drift', 'stuck', 'conflict', { timeoutMs: 5_000 });
      expect(conflict.reason).toContain('kubectl-edit');
      expect((await harness.kube.get(ref('stuck')))?.data).toEqual({ mode: 'hand-edited' });
    });

    it('takes a rollout for no drift: a ready Deployment is applied once', async () => {
      await harness.write([node('quiet', [resource('app', deployment('quiet'), { waitForReady: true })])]);
      await harness.untilEvent('quiet', 'app', 'created');
      // The controller manager and kwok keep writing its status and revision
      // annotation while it rolls out; none of it is someone else's change.
      await waitFor(
        'the Deployment to be Available',
        async () => {
          const live = await harness.kube.get({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            namespace: ns,
            name: 'quiet',
          });
          const conditions = (live?.status as { conditions?: { type: string; status: string }[] })
            ?.conditions;
          return conditions?.some((c) => c.type === 'Available' && c.status === 'True') ? true : undefined;
        },
        { timeoutMs: 30_000 },
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(await harness.actions('quiet', 'app')).toEqual(['created']);
    });
  });
});
