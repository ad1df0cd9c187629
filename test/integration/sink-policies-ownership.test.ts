import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import type { KubeObject } from '../../src/sink/kube/index.js';
import {
  MANAGED_BY_LABEL,
  OrphanAnnotation,
  OrphanLabel,
  OrphanReason,
  OwnerAnnotation,
  OwnerLabel,
} from '../../src/sink/ownership/index.js';
import { node, resource, SinkHarness } from '../../support/sink-harness.js';
import { uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Who owns what: conflicts with another field manager (Stuck leaves the
// object, Force takes the fields), creationPolicy Once, deletionPolicy Retain
// with orphan markers, ignoreFields that someone else changes, and a
// namespace outside allowedNamespaces. Each one read back from the apiserver
// and from the audit topic.
describe('sink > policies > ownership', () => {
  const harness = new SinkHarness();
  const ns = harness.namespace;

  const configMap = (name: string, data: Record<string, string>, namespace = ns) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    data,
  });
  const getConfigMap = (name: string, namespace = ns) =>
    harness.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
  const getDeployment = (name: string) =>
    harness.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name });
  const managersOf = (object: KubeObject | undefined) =>
    (object?.metadata.managedFields ?? []).map((entry) => entry.manager);
  const rowkubeMarks = (object: KubeObject | undefined) => [
    ...Object.keys(object?.metadata.labels ?? {}).filter(
      (key) => key === MANAGED_BY_LABEL || (Object.values(OwnerLabel) as string[]).includes(key),
    ),
    ...Object.keys(object?.metadata.annotations ?? {}).filter((key) =>
      (Object.values(OwnerAnnotation) as string[]).includes(key),
    ),
  ];

  beforeAll(async () => {
    await harness.setUp();
    harness.start();
  });
  afterAll(() => harness.tearDown());

  it('conflictPolicy Stuck leaves another manager’s field alone; Force takes it over', async () => {
    for (const name of ['stuck-cm', 'force-cm'])
      await harness.kube.apply(configMap(name, { owner: 'other-team' }), {
        fieldManager: 'other-team',
        force: false,
      });

    await harness.write([
      node('conflict', [
        resource('stuck', configMap('stuck-cm', { owner: 'rowkube' }), { conflictPolicy: 'Stuck' }),
        resource('force', configMap('force-cm', { owner: 'rowkube' }), { conflictPolicy: 'Force' }),
      ]),
    ]);

    const conflict = await harness.untilEvent('conflict', 'stuck', 'conflict');
    expect(conflict).toMatchObject({
      errorCode: ErrorCode.APPLY_CONFLICT,
      object: { kind: 'ConfigMap', namespace: ns, name: 'stuck-cm' },
    });
    expect(conflict.reason).toContain('.data.owner');
    expect(conflict.reason).toContain('"other-team"');
    const stuck = await getConfigMap('stuck-cm');
    expect(stuck?.data).toEqual({ owner: 'other-team' });
    expect(managersOf(stuck)).not.toContain('rowkube');

    const forced = await harness.untilEvent('conflict', 'force', 'configured');
    expect(forced.errorCode).toBeNull();
    const force = await getConfigMap('force-cm');
    expect(force?.data).toEqual({ owner: 'rowkube' });
    expect(force?.metadata.labels?.[OwnerLabel.resource]).toBe('force');
    // rowkube alone owns the field now.
    const ownersOfField = (force?.metadata.managedFields ?? [])
      .filter((entry) => JSON.stringify(entry.fieldsV1).includes('"f:owner"'))
      .map((entry) => entry.manager);
    expect(ownersOfField).toEqual(['rowkube']);

    // The node goes away: what rowkube took over goes with it, the object it
    // never owned stays.
    await harness.write([{ id: 'web/conflict', value: null }]);
    await harness.untilEvent('conflict', 'force', 'deleted');
    await waitFor('force-cm to be gone', async () =>
      (await getConfigMap('force-cm')) === undefined ? true : undefined,
    );
    expect((await getConfigMap('stuck-cm'))?.data).toEqual({ owner: 'other-team' });
    expect(await harness.actions('conflict', 'stuck')).toEqual(['conflict']);
  });

  it('creationPolicy Once creates the object and leaves it as it is afterwards', async () => {
    // An object already there, someone else's: Once leaves it, and so does the node's deletion.
    await harness.kube.apply(configMap('found', { plan: 'theirs' }), {
      fieldManager: 'other-team',
      force: false,
    });
    const once = (plan: string) =>
      node('once', [
        resource('seed', configMap('seed', { plan }), { creationPolicy: 'Once' }),
        resource('found', configMap('found', { plan }), { creationPolicy: 'Once' }),
      ]);
    await harness.write([once('basic')]);
    await harness.untilEvent('once', 'seed', 'created');
    const created = await getConfigMap('seed');
    expect(created?.data).toEqual({ plan: 'basic' });
    const found = await harness.untilEvent('once', 'found', 'unchanged');
    expect(found.reason).toContain('creationPolicy Once');

    await harness.write([once('gold')]);
    const unchanged = await harness.untilEvent('once', 'seed', 'unchanged');
    expect(unchanged.reason).toContain('creationPolicy Once');
    const after = await getConfigMap('seed');
    expect(after?.data).toEqual({ plan: 'basic' });
    expect(after?.metadata.resourceVersion).toBe(created?.metadata.resourceVersion);
    expect(await harness.actions('once', 'seed')).toEqual(['created', 'unchanged']);

    await harness.write([{ id: 'web/once', value: null }]);
    await harness.untilEvent('once', 'seed', 'deleted');
    const theirs = await getConfigMap('found');
    expect(theirs?.data).toEqual({ plan: 'theirs' });
    expect(rowkubeMarks(theirs)).toEqual([]);
    expect(await harness.actions('once', 'found')).toEqual(['unchanged', 'unchanged']);
  });

  it('deletionPolicy Retain orphans objects removed from the form and of a deleted node', async () => {
    const kept = resource('kept', configMap('kept', { a: '1' }), { deletionPolicy: 'Retain' });
    const dropped = resource('dropped', configMap('dropped', { b: '2' }), { deletionPolicy: 'Retain' });
    const gone = resource('gone', configMap('gone', { c: '3' }));
    await harness.write([node('retain', [kept, dropped, gone])]);
    await harness.untilEvent('retain', 'gone', 'created');
    expect((await getConfigMap('dropped'))?.metadata.labels?.[OwnerLabel.resource]).toBe('dropped');

    const expectOrphan = async (name: string, reason: string, data: Record<string, string>) => {
      const object = await getConfigMap(name);
      expect(object?.data).toEqual(data);
      expect(rowkubeMarks(object)).toEqual([]);
      expect(object?.metadata.labels?.[OrphanLabel]).toBe('true');
      expect(object?.metadata.annotations?.[OrphanAnnotation.reason]).toBe(reason);
      const at = Date.parse(object?.metadata.annotations?.[OrphanAnnotation.at] ?? '');
      expect(Math.abs(Date.now() - at)).toBeLessThan(60_000);
    };

    // The resource leaves the form while the node lives on.
    await harness.write([node('retain', [kept, gone])]);
    const removed = await harness.untilEvent('retain', 'dropped', 'retained');
    expect(removed.reason).toContain(OrphanReason.removedFromForm);
    await expectOrphan('dropped', OrphanReason.removedFromForm, { b: '2' });

    // The node goes away: Retain keeps, Delete deletes.
    await harness.write([{ id: 'web/retain', value: null }]);
    const retained = await harness.untilEvent('retain', 'kept', 'retained');
    expect(retained.reason).toContain(OrphanReason.nodeDeleted);
    expect(retained.object).toMatchObject({ kind: 'ConfigMap', namespace: ns, name: 'kept' });
    await expectOrphan('kept', OrphanReason.nodeDeleted, { a: '1' });
    await harness.untilEvent('retain', 'gone', 'deleted');
    await waitFor('the Delete object to be gone', async () =>
      (await getConfigMap('gone')) === undefined ? true : undefined,
    );
    // An orphan is no longer rowkube's: it is not touched again.
    expect(await harness.actions('retain', 'dropped')).toEqual(['created', 'retained']);
  });

  it('ignoreFields keeps a field someone else changed while the other fields follow the record', async () => {
    const app = (image: string, replicas: number) =>
      node('ignore', [
        resource(
          'app',
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'scaled', namespace: ns, labels: { tier: image.replace(':', '-') } },
            spec: {
              replicas,
              selector: { matchLabels: { app: 'scaled' } },
              template: {
                metadata: { labels: { app: 'scaled' } },
                spec: { containers: [{ name: 'web', image }] },
              },
            },
          },
          { ignoreFields: ['spec.replicas'] },
        ),
      ]);
    await harness.write([app('nginx:1.26', 1)]);
    await harness.untilEvent('ignore', 'app', 'created');
    expect((await getDeployment('scaled'))?.spec).toMatchObject({ replicas: 1 });

    // An autoscaler scales it.
    await harness.kube.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'scaled', namespace: ns },
        spec: { replicas: 3 },
      },
      { fieldManager: 'test-autoscaler', force: true },
    );

    await harness.write([app('nginx:1.27', 5)]);
    await harness.untilEvent('ignore', 'app', 'configured');
    const live = await getDeployment('scaled');
    const spec = live?.spec as { replicas: number; template: { spec: { containers: { image: string }[] } } };
    expect(spec.replicas).toBe(3);
    expect(spec.template.spec.containers[0]?.image).toBe('nginx:1.27');
    expect(live?.metadata.labels?.tier).toBe('nginx-1.27');
  });

  it('refuses a namespace outside allowedNamespaces and still applies the node’s other resources', async () => {
    // Exists, so that only the guard stands between the sink and the object.
    const outside = uniqueName('outside').replaceAll('_', '-');
    await harness.kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: outside } },
      { fieldManager: 'test-setup', force: true },
    );
    try {
      await harness.write([
        node('refuse', [
          resource('foreign', configMap('foreign', { x: '1' }, outside)),
          resource('local', configMap('local', { y: '2' })),
        ]),
      ]);
      const refused = await harness.untilEvent('refuse', 'foreign', 'refused');
      expect(refused.errorCode).toBe(ErrorCode.FORBIDDEN_NAMESPACE);
      expect(refused.reason).toContain(`namespace "${outside}" is not in kubernetes.allowedNamespaces`);
      await harness.untilEvent('refuse', 'local', 'created');
      expect((await getConfigMap('local'))?.data).toEqual({ y: '2' });
      expect(await getConfigMap('foreign', outside)).toBeUndefined();
      expect(await harness.actions('refuse', 'foreign')).toEqual(['refused']);
    } finally {
      await harness.kube.delete(
        { apiVersion: 'v1', kind: 'Namespace', name: outside },
        { propagation: 'Background' },
      );
    }
  });
});
