import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node, resource, SinkHarness } from '../../support/sink-harness.js';
import { waitFor } from '../../support/wait-for.js';

// Drift correction: with driftIntervalSeconds 1 every node is re-applied each
// second, so what someone else does to rowkube's objects is undone without a
// new desired record — a deleted object comes back, and a field another field
// manager changed on a conflictPolicy Force resource is set back.
describe('sink > policies > drift', () => {
  const harness = new SinkHarness('driftIntervalSeconds: 1');
  const ns = harness.namespace;

  const configMap = (name: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
    data: { mode: 'desired' },
  });
  const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });

  beforeAll(async () => {
    await harness.setUp();
    harness.start();
  });
  afterAll(() => harness.tearDown());

  it('recreates a deleted object and reverts a field changed by another manager', async () => {
    await harness.write([
      node('drift', [
        resource('plain', configMap('plain')),
        resource('forced', configMap('forced'), { conflictPolicy: 'Force' }),
      ]),
    ]);
    await harness.untilEvent('drift', 'plain', 'created');
    await harness.untilEvent('drift', 'forced', 'created');
    const original = await harness.kube.get(ref('plain'));

    // Deleted by hand: back within a few seconds, as a new object.
    await harness.kube.delete(ref('plain'), { propagation: 'Background' });
    const recreated = await waitFor(
      'the deleted ConfigMap to be recreated',
      async () => {
        const object = await harness.kube.get(ref('plain'));
        return object?.metadata.uid !== original?.metadata.uid ? object : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(recreated?.data).toEqual({ mode: 'desired' });
    await harness.untilEvent('drift', 'plain', 'created', { count: 2 });

    // Changed by another field manager, which takes the field: set back.
    await harness.kube.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'forced', namespace: ns },
        data: { mode: 'hand-edited' },
      },
      { fieldManager: 'someone-else', force: true },
    );
    expect((await harness.kube.get(ref('forced')))?.data).toEqual({ mode: 'hand-edited' });
    await waitFor(
      'the hand-edited field to be reverted',
      async () => {
        const data = (await harness.kube.get(ref('forced')))?.data as { mode?: string } | undefined;
        return data?.mode === 'desired' ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
    const configured = await harness.untilEvent('drift', 'forced', 'configured');
    expect(configured.reason).toBe('applied a changed object');
  });
});
