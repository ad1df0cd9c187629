import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnerAnnotation, OwnerLabel } from '../../src/sink/ownership/index.js';
import { node, resource, SinkHarness } from '../../support/sink-harness.js';
import { waitFor } from '../../support/wait-for.js';

// The basic life of a node's object through the sink: created → unchanged →
// configured → pruned when its resource leaves the form, then the node's
// tombstone deletes the rest. Each step is read back from the apiserver and
// from the audit topic.
describe('sink > created, unchanged, configured, pruned, deleted', () => {
  const harness = new SinkHarness();
  const ns = harness.namespace;
  const configMap = (data: Record<string, string>, name = 'settings') =>
    resource('config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });
  const extra = resource('extra', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'extra', namespace: ns },
  });
  const get = (name: string) =>
    harness.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });

  beforeAll(async () => {
    await harness.setUp();
    harness.start();
  });
  afterAll(() => harness.tearDown());

  const untilActions = (resourceId: string, expected: string[]) =>
    waitFor(`audit of ${resourceId}: ${expected.join(', ')}`, async () => {
      const actions = await harness.actions('acme', resourceId);
      return actions.length >= expected.length ? actions : undefined;
    });

  it('creates, leaves unchanged, configures, prunes and deletes, auditing each', async () => {
    await harness.write([node('acme', [configMap({ plan: 'basic' }), extra])]);
    await untilActions('config', ['created']);
    const created = await get('settings');
    expect(created?.data).toEqual({ plan: 'basic' });
    expect(created?.metadata.labels?.[OwnerLabel.resource]).toBe('config');
    expect(created?.metadata.annotations?.[OwnerAnnotation.nodeId]).toBe('web/acme');
    expect(created?.metadata.annotations?.[OwnerAnnotation.sourcePosition]).toBe('{"lsn":"0/1"}');

    // Same content again (a replay, a duplicate): nothing written.
    await harness.write([node('acme', [configMap({ plan: 'basic' }), extra])]);
    expect(await untilActions('config', ['created', 'unchanged'])).toEqual(['created', 'unchanged']);
    expect((await get('settings'))?.metadata.resourceVersion).toBe(created?.metadata.resourceVersion);

    // Changed content, and the extra resource leaves the form.
    await harness.write([node('acme', [configMap({ plan: 'gold' })])]);
    expect(await untilActions('config', ['created', 'unchanged', 'configured'])).toEqual([
      'created',
      'unchanged',
      'configured',
    ]);
    expect((await get('settings'))?.data).toEqual({ plan: 'gold' });
    await untilActions('extra', ['created', 'unchanged', 'pruned']);
    expect(await get('extra')).toBeUndefined();

    const events = await harness.audit();
    const configured = events.find((e) => e.action === 'configured');
    expect(configured).toMatchObject({
      nodeId: 'web/acme',
      hub: 'tenants',
      form: 'web',
      object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' },
      fieldManager: 'rowkube',
      provenance: { source: 'appdb', table: 'tenants', position: '{"lsn":"0/1"}' },
    });
    expect(Number(configured?.latencyMs)).toBeGreaterThanOrEqual(0);

    // The node goes away: its objects are deleted.
    await harness.write([{ id: 'web/acme', value: null }]);
    await untilActions('config', ['created', 'unchanged', 'configured', 'deleted']);
    await waitFor('the ConfigMap to be gone', async () =>
      (await get('settings')) === undefined ? true : undefined,
    );
  });
});
