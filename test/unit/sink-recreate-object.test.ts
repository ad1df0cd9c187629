import { describe, expect, it } from 'vitest';
import type { DesiredValue } from '../../src/contracts/index.js';
import { ErrorCode } from '../../src/core/errors.js';
import { applyResource } from '../../src/sink/apply/apply-resource.js';
import { prepareResource } from '../../src/sink/apply/prepared-resource.js';
import { NodeAudit, type SinkContext } from '../../src/sink/apply/sink-context.js';
import { Inventory } from '../../src/sink/inventory.js';
import {
  type AppliedObject,
  type DeleteOptions,
  type DeleteOutcome,
  ImmutableFieldError,
  type KubeApi,
  type KubeObject,
  type ObjectRef,
  refOf,
} from '../../src/sink/kube/index.js';
import { RequestLimiter } from '../../src/sink/runner/request-limiter.js';
import { node, resource } from '../../support/sink-harness.js';

// recreatePolicy against an in-memory cluster whose Deployments refuse a
// changed selector as the API server does: what is deleted (only this
// node's object, by uid and resourceVersion), what is created, what is audited.
// The real API server's side is test/integration/sink-recreate.test.ts.

const keyOf = (ref: ObjectRef) => `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
const selectorOf = (object: KubeObject | undefined) =>
  (object?.spec as { selector?: unknown } | undefined)?.selector;

class ImmutableSelectorCluster implements KubeApi {
  readonly objects = new Map<string, KubeObject>();
  readonly deletes: DeleteOptions[] = [];
  /** Deletions to refuse with 'changed' before accepting one (an object changed between reading and deleting). */
  changedDeletes = 0;
  private version = 100;

  async apply(object: KubeObject): Promise<KubeObject> {
    return (await this.applyReporting(object)).object;
  }

  async applyReporting(object: KubeObject): Promise<AppliedObject> {
    const ref = refOf(object);
    const live = this.objects.get(keyOf(ref));
    const selector = (o: KubeObject) => JSON.stringify((o.spec as { selector?: unknown }).selector);
    if (live !== undefined && selector(live) !== selector(object))
      throw new ImmutableFieldError(ref, 'apply', [
        { field: 'spec.selector', message: 'field is immutable' },
      ]);
    this.version += 1;
    const stored: KubeObject = {
      ...object,
      metadata: {
        ...object.metadata,
        uid: live?.metadata.uid ?? `uid-${this.version}`,
        resourceVersion: String(this.version),
      },
    };
    this.objects.set(keyOf(ref), stored);
    return { object: stored, created: live === undefined };
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.objects.get(keyOf(ref));
  }

  async delete(ref: ObjectRef, options: DeleteOptions): Promise<DeleteOutcome> {
    this.deletes.push(options);
    const live = this.objects.get(keyOf(ref));
    if (live === undefined) return 'absent';
    if (this.changedDeletes > 0) {
      this.changedDeletes -= 1;
      return 'changed';
    }
    const { preconditions } = options;
    if (
      preconditions !== undefined &&
      (preconditions.uid !== live.metadata.uid ||
        (preconditions.resourceVersion !== undefined &&
          preconditions.resourceVersion !== live.metadata.resourceVersion))
    )
      return 'changed';
    this.objects.delete(keyOf(ref));
    return 'deleted';
  }

  async mergePatch(): Promise<KubeObject | undefined> {
    return undefined;
  }

  async list(): Promise<KubeObject[]> {
    return [];
  }

  async isNamespaced(): Promise<boolean> {
    return true;
  }
}

const deployment = (app: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'tenant-acme' },
  spec: { selector: { matchLabels: { app } }, template: { metadata: { labels: { app } } } },
});

function setUp() {
  const kube = new ImmutableSelectorCluster();
  const context: SinkContext = {
    kube,
    limiter: new RequestLimiter(4),
    prefix: 'rk',
    fieldManager: 'rowkube',
    namespaceAllowed: (namespace) => namespace.startsWith('tenant-'),
    inventory: new Inventory(),
    appliedHashes: new Map<string, string>(),
    readinessPollMs: 1,
  };
  const handle = async (value: DesiredValue) => {
    const audit = new NodeAudit(
      { nodeId: value.id, hub: value.hub, form: value.form, fieldManager: 'rowkube' },
      value.provenance,
    );
    const prepared = await prepareResource(
      context,
      value,
      value.resources[0] as DesiredValue['resources'][0],
    );
    const result = await applyResource(context, prepared, audit, false);
    return { result, events: audit.events };
  };
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tenant-acme', name: 'web' };
  return { kube, handle, live: () => kube.objects.get(keyOf(ref)) };
}

describe('sink > apply > recreatePolicy', () => {
  it('OnImmutableChange deletes this very object and creates it again', async () => {
    const { kube, handle, live } = setUp();
    const policy = { recreatePolicy: 'OnImmutableChange' };
    await handle(node('acme', [resource('app', deployment('v1'), policy)]));
    const before = live();

    const { result, events } = await handle(node('acme', [resource('app', deployment('v2'), policy)]));
    expect(result).toEqual({ outcome: 'ok', owned: true });
    expect(events.map((e) => e.action)).toEqual(['recreated']);
    expect(events[0]?.reason).toBe(
      `spec.selector: field is immutable: deleted the object (uid ${before?.metadata.uid}) and created it again (uid ${live()?.metadata.uid})`,
    );
    expect(kube.deletes).toEqual([
      {
        propagation: 'Background',
        preconditions: { uid: before?.metadata.uid, resourceVersion: before?.metadata.resourceVersion },
      },
    ]);
    expect(live()?.metadata.uid).not.toBe(before?.metadata.uid);
    expect(selectorOf(live())).toEqual({ matchLabels: { app: 'v2' } });
  });

  it('reads the object again when it changed between reading and deleting it', async () => {
    const { kube, handle, live } = setUp();
    const policy = { recreatePolicy: 'OnImmutableChange' };
    await handle(node('acme', [resource('app', deployment('v1'), policy)]));
    kube.changedDeletes = 2;
    const { events } = await handle(node('acme', [resource('app', deployment('v2'), policy)]));
    expect(events.map((e) => e.action)).toEqual(['recreated']);
    expect(kube.deletes).toHaveLength(3);
    expect(selectorOf(live())).toEqual({ matchLabels: { app: 'v2' } });
  });

  it('Never fails the resource with the fields and the fix, and deletes nothing', async () => {
    const { kube, handle, live } = setUp();
    await handle(node('acme', [resource('app', deployment('v1'))]));
    const before = live();
    const { result, events } = await handle(node('acme', [resource('app', deployment('v2'))]));
    expect(result).toEqual({ outcome: 'failed', owned: true });
    expect(events.map((e) => [e.action, e.errorCode])).toEqual([['failed', ErrorCode.IMMUTABLE_FIELD]]);
    expect(events[0]?.reason).toBe(
      'Deployment/tenant-acme/web: apply failed (HTTP 422 Invalid): spec.selector: field is immutable; ' +
        'recreatePolicy Never leaves the object as it is: set recreatePolicy: OnImmutableChange on resource app ' +
        'of form web to delete and recreate it, or revert the change',
    );
    expect(kube.deletes).toEqual([]);
    expect(live()).toEqual(before);
  });

  it('never deletes an object that does not carry the node’s owner labels', async () => {
    const { kube, handle, live } = setUp();
    // Someone else's Deployment of that name, without rowkube's labels.
    await kube.applyReporting(deployment('theirs') as KubeObject);
    const before = live();
    const { result, events } = await handle(
      node('acme', [resource('app', deployment('v2'), { recreatePolicy: 'OnImmutableChange' })]),
    );
    expect(result).toEqual({ outcome: 'failed', owned: false });
    expect(events[0]?.action).toBe('failed');
    expect(events[0]?.reason).toContain(
      'not deleted, the object does not carry the owner labels of node web/acme',
    );
    expect(kube.deletes).toEqual([]);
    expect(live()).toEqual(before);
  });
});
