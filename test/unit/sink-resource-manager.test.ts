import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/load-config.js';
import type { AuditEvent, DesiredValue } from '../../src/contracts/index.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import type { KubeApi } from '../../src/sink/index.js';
import { isFinal, ResourceManager } from '../../src/sink/index.js';
import { type KubeObject, type ObjectRef, refOf } from '../../src/sink/kube/index.js';
import { resource } from '../../support/sink-harness.js';

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
/**
 * A cluster in a map; `down` makes every write of that kind (or every read,
 * as `get <kind>`) fail as an unreachable API server does.
 */
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
    if (this.down.has(`get ${ref.kind}`))
      throw new RowkubeError(ErrorCode.KUBERNETES, `${ref.kind}: connection refused`, true);
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

  describe('wait', () => {
    /** What a controller does: the Namespace becomes Active. */
    const activate = (kube: FakeKube) => {
      const key = 'Namespace//tenant-acme';
      const ns = kube.objects.get(key) as KubeObject;
      kube.objects.set(key, { ...ns, status: { phase: 'Active' } } as KubeObject);
    };
    const notReady = (changes: { events: readonly AuditEvent[] }) =>
      changes.events.map((e) => [e.resourceId, e.action, e.errorCode, e.object?.name, e.reason]);

    it('returns no event once every object is ready, waiting for one that gets ready meanwhile', async () => {
      const kube = new FakeKube();
      const resources = await ResourceManager.open({ kube, config, readinessPollMs: 10 });
      await resources.apply(node, { verify: false, signal });
      setTimeout(() => activate(kube), 100);

      const started = Date.now();
      const changes = await resources.wait(node, { timeoutMs: 5_000, signal });
      expect(changes.failure).toBeUndefined();
      expect(changes.nodeId).toBe('web/acme');
      expect(changes.events).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    });

    it('names each object that is not ready in time as timed_out, and none that is', async () => {
      const kube = new FakeKube();
      const resources = await ResourceManager.open({ kube, config, readinessPollMs: 10 });
      await resources.apply(node, { verify: false, signal });

      const started = Date.now();
      const changes = await resources.wait(node, { timeoutMs: 200, signal });
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(changes.failure).toBeUndefined();
      expect(notReady(changes)).toEqual([
        [
          'ns',
          'timed_out',
          ErrorCode.READY_TIMEOUT,
          'tenant-acme',
          'not ready after 0.2 s: namespace phase is not set yet',
        ],
      ]);
      // Waiting writes nothing.
      expect(kube.objects.get('Namespace//tenant-acme')?.metadata.resourceVersion).toBe('1');
    });

    it('does not wait out the timeout for an object its rule calls failed, nor for one never applied', async () => {
      const kube = new FakeKube();
      const resources = await ResourceManager.open({ kube, config, readinessPollMs: 10 });
      const job = resource('job', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'migrate', namespace: 'tenant-acme' },
      });
      const withJob = { ...node, resources: [...node.resources, job] };
      await resources.apply(withJob, { verify: false, signal });
      activate(kube);
      const key = 'Job/tenant-acme/migrate';
      kube.objects.set(key, {
        ...(kube.objects.get(key) as KubeObject),
        status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
      } as KubeObject);
      const absent = resource('absent', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'absent', namespace: 'tenant-acme' },
      });

      const started = Date.now();
      const changes = await resources.wait(
        { ...withJob, resources: [...withJob.resources, absent] },
        { timeoutMs: 300, signal },
      );
      // The failed Job is reported at once, the absent object only at the deadline.
      expect(Number(changes.events[0]?.appliedAtMs) - started).toBeLessThan(250);
      expect(notReady(changes)).toEqual([
        ['job', 'failed', ErrorCode.KUBERNETES, 'migrate', 'not ready: job failed: BackoffLimitExceeded'],
        [
          'absent',
          'timed_out',
          ErrorCode.READY_TIMEOUT,
          'absent',
          'not ready after 0.3 s: the object does not exist',
        ],
      ]);
    });

    it('stops when the signal aborts, with the objects not yet known to be ready left without an event', async () => {
      const kube = new FakeKube();
      const resources = await ResourceManager.open({ kube, config, readinessPollMs: 10 });
      await resources.apply(node, { verify: false, signal });
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 50);

      const started = Date.now();
      const changes = await resources.wait(node, { timeoutMs: 5_000, signal: stop.signal });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(changes.events).toEqual([]);
      expect(String(changes.failure)).toMatch(/web\/acme: stopped before every object was known to be ready/);
    });

    it('refuses an object outside the allowed namespaces, and reports an unreachable API server as the failure', async () => {
      const kube = new FakeKube();
      const resources = await ResourceManager.open({ kube, config, readinessPollMs: 10 });
      await resources.apply(node, { verify: false, signal });
      activate(kube);
      const outside = resource('other', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x', namespace: 'kube-system' },
      });
      const refused = await resources.wait(
        { ...node, resources: [...node.resources, outside] },
        { timeoutMs: 1_000, signal },
      );
      expect(refused.events.map((e) => [e.resourceId, e.action, e.errorCode])).toEqual([
        ['other', 'refused', ErrorCode.FORBIDDEN_NAMESPACE],
      ]);

      kube.down.add('get ConfigMap');
      const unreachable = await resources.wait(node, { timeoutMs: 1_000, signal });
      expect(unreachable.failure).toBeInstanceOf(RowkubeError);
      expect(isFinal(unreachable.failure)).toBe(false);
      expect(unreachable.events).toEqual([]);
    });
  });
});
