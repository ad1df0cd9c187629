import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/load-config.js';
import type { DesiredValue } from '../../src/contracts/index.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import type { KubeApi } from '../../src/sink/index.js';
import { isFinal, ResourceManager } from '../../src/sink/index.js';
import { type KubeObject, type ObjectRef, refOf } from '../../src/sink/kube/index.js';

// The sink's facade against an in-memory cluster: what each verb returns.

const config = parseConfig(
  `
kafka: { brokers: [127.0.0.1:9092], topicPrefix: rk }
kubernetes: { fieldManager: rowkube, allowedNamespaces: ["tenant-*"] }
sources: [{ name: appdb, mysql: { url: "mysql://cdc:pw@127.0.0.1:3306/app" }, tables: [tenants] }]
hubs: [{ name: tenants, source: appdb, table: tenants, uid: tenant_id }]
forms:
  - name: web
    hub: tenants
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "tenant-{{ uid }}" } }
      - id: cm
        manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: cfg, namespace: "tenant-{{ uid }}" } }
`,
  'rowkube.yaml',
  {},
);

const keyOf = (ref: ObjectRef) => `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
/** A cluster in a map; `down` makes every write of that kind fail as an unreachable API server does. */
class FakeKube implements KubeApi {
  readonly objects = new Map<string, KubeObject>();
  down = new Set<string>();
  private version = 0;

  async apply(object: KubeObject): Promise<KubeObject> {
    return (await this.applyReporting(object)).object;
  }
  async applyReporting(object: KubeObject): Promise<{ object: KubeObject; created: boolean }> {
    if (this.down.has(object.kind))
      throw new RowkubeError(ErrorCode.KUBERNETES, `${object.kind}: connection refused`, true);
    const key = keyOf(refOf(object));
    const created = !this.objects.has(key);
    this.version += 1;
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(this.version) } };
    this.objects.set(key, stored);
    return { object: stored, created };
  }
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.objects.get(keyOf(ref));
  }
  async delete(ref: ObjectRef): Promise<'deleted' | 'absent'> {
    return this.objects.delete(keyOf(ref)) ? 'deleted' : 'absent';
  }
  async mergePatch(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.objects.get(keyOf(ref));
  }
  async list(apiVersion: string, kind: string): Promise<KubeObject[]> {
    return [...this.objects.values()].filter((o) => o.apiVersion === apiVersion && o.kind === kind);
  }
  async isNamespaced(_apiVersion: string, kind: string): Promise<boolean> {
    return kind !== 'Namespace';
  }
}

const resource = (id: string, manifest: object) => ({
  id,
  manifest: JSON.stringify(manifest),
  dependIds: [],
  waitForReady: false,
  timeoutSeconds: 300,
  skipOnDependencyFailure: true,
  creationPolicy: 'WhenNeeded',
  deletionPolicy: 'Delete',
  conflictPolicy: 'Stuck',
  targetNamespace: null,
  ignoreFields: [],
});

const node: DesiredValue = {
  id: 'web/acme',
  form: 'web',
  hub: 'tenants',
  uid: 'acme',
  resources: [
    resource('ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-acme' } }),
    resource('cm', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'tenant-acme' },
      data: { plan: 'gold' },
    }),
  ],
  error: null,
  contentHash: 'h1',
  provenance: {
    source: 'appdb',
    table: 'tenants',
    position: null,
    commitTsMs: 1_000n,
    primaryKey: '{"id":1}',
  },
};

const actions = (changes: { events: readonly { action: string; resourceId: string | null }[] }) =>
  changes.events.map((event) => `${event.resourceId}:${event.action}`);

describe('Sink > ResourceManager', () => {
  const signal = new AbortController().signal;

  it('applies a node, finds it unchanged the second time, and deletes it, each as a change set', async () => {
    const kube = new FakeKube();
    const resources = await ResourceManager.open({ kube, config });
    expect(resources.objectsFound).toBe(0);

    const created = await resources.apply(node, { verify: false, signal });
    expect(created.failure).toBeUndefined();
    expect(created.nodeId).toBe('web/acme');
    expect(actions(created)).toEqual(['ns:created', 'cm:created']);
    expect(created.events[0]?.provenance).toEqual({
      source: 'appdb',
      table: 'tenants',
      position: null,
      commitTsMs: 1_000n,
    });

    expect(actions(await resources.apply(node, { verify: false, signal }))).toEqual([
      'ns:unchanged',
      'cm:unchanged',
    ]);
    expect(resources.nodes()).toEqual(['web/acme']);

    const deleted = await resources.delete('web/acme');
    expect(actions(deleted)).toEqual(['cm:deleted', 'ns:deleted']);
    expect(kube.objects.size).toBe(0);
    expect(resources.nodes()).toEqual([]);
  });

  it('lists the objects it owns when it opens, so a new manager can delete what an earlier one applied', async () => {
    const kube = new FakeKube();
    await (await ResourceManager.open({ kube, config })).apply(node, { verify: false, signal });

    const later = await ResourceManager.open({ kube, config });
    expect(later.objectsFound).toBe(2);
    expect(later.nodes()).toEqual(['web/acme']);
    expect(actions(await later.delete('web/acme'))).toEqual(['cm:deleted', 'ns:deleted']);
  });

  it('keeps what was done before the API server went away, with the failure to retry', async () => {
    const kube = new FakeKube();
    kube.down.add('ConfigMap');
    const resources = await ResourceManager.open({ kube, config });

    const changes = await resources.apply(node, { verify: false, signal });
    expect(actions(changes)).toEqual(['ns:created']);
    expect(changes.failure).toBeInstanceOf(RowkubeError);
    expect(isFinal(changes.failure)).toBe(false);

    const failed = resources.failed('web/acme', node, {
      reason: 'retrying',
      errorCode: ErrorCode.KUBERNETES,
    });
    expect(failed.events.map((event) => [event.action, event.errorCode, event.hub])).toEqual([
      ['failed', ErrorCode.KUBERNETES, 'tenants'],
    ]);
  });
});
