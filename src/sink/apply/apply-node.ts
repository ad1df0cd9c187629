import type { DesiredValue } from '../../contracts/index.js';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { type OwnedObject, refKey } from '../inventory.js';
import { applySchedule } from '../plan/index.js';
import { applyResource, isFinal } from './apply-resource.js';
import { type PreparedResource, prepareResource } from './prepared-resource.js';
import { removeObjects } from './remove-objects.js';
import type { NodeAudit, SinkContext } from './sink-context.js';
import { waitReady } from './wait-ready.js';

// One node's desired state onto the cluster: its resources in schedule order
// (dependIds and kind tiers), each starting as soon as what it needs is done,
// dependents waiting for readiness where asked; then the node's objects that
// the record no longer names are pruned. A retriable failure (the API server
// unreachable) throws once every resource has settled, and the whole node is
// retried; final failures (an invalid object, a conflict) are audited and the
// rest of the node goes on.

type Settled = 'ok' | 'failed' | 'skipped' | 'retry';

export async function applyNode(
  context: SinkContext,
  node: DesiredValue,
  audit: NodeAudit,
  options: { verify: boolean; signal: AbortSignal },
): Promise<void> {
  if (node.error !== null) {
    // The processor could not render the node: what was applied before stays.
    audit.record('failed', {
      resourceId: node.error.resourceId,
      reason: `not rendered, objects left as they are: ${node.error.message}`,
      errorCode: node.error.code,
    });
    return;
  }
  const schedule = applySchedule(
    node.id,
    node.resources.map((r) => ({ id: r.id, ...kindOf(r.manifest), dependIds: r.dependIds })),
  );
  const byId = new Map(node.resources.map((resource) => [resource.id, resource]));
  const retries: unknown[] = [];
  const prepared = new Map<string, PreparedResource>();
  /** Resources whose object carries this node's owner marks after the apply. */
  const owned = new Set<string>();
  const applied = new Map<string, Promise<Settled>>();
  const settled = new Map<string, Promise<Settled>>();

  const start = (id: string): void => {
    if (settled.has(id)) return;
    const resource = byId.get(id);
    const needs = schedule.prerequisites.get(id);
    if (resource === undefined || needs === undefined)
      throw new Error(`applyNode: ${node.id} has no resource ${id}`);
    for (const other of [...needs.explicit, ...needs.implicit]) start(other);
    let markApplied: (outcome: Settled) => void = () => undefined;
    applied.set(id, new Promise<Settled>((resolve) => (markApplied = resolve)));
    const run = async (): Promise<Settled> => {
      const before = await Promise.all(needs.implicit.map((other) => applied.get(other) as Promise<Settled>));
      const after = await Promise.all(needs.explicit.map((other) => settled.get(other) as Promise<Settled>));
      if ([...before, ...after].includes('retry')) return 'retry';
      const failedDependency = needs.explicit.find((_, index) => after[index] !== 'ok');
      if (failedDependency !== undefined && resource.skipOnDependencyFailure) {
        audit.record('skipped', {
          resourceId: id,
          reason: `dependency '${failedDependency}' failed, timed out or was skipped`,
        });
        return 'skipped';
      }
      try {
        const ready = prepared.get(id) ?? (await prepareResource(context, node, resource));
        prepared.set(id, ready);
        const { outcome, owned: ours } = await applyResource(
          context,
          ready,
          audit,
          options.verify,
          options.signal,
        );
        if (ours) owned.add(id);
        markApplied(outcome);
        if (outcome !== 'ok' || !resource.waitForReady) return outcome;
        const readiness = await waitReady(context, ready, audit, options.signal);
        return readiness === 'ready' ? 'ok' : readiness === 'stopped' ? 'retry' : 'failed';
      } catch (error) {
        if (!isFinal(error)) {
          retries.push(error);
          return 'retry';
        }
        recordFinalFailure(audit, id, prepared.get(id)?.ref, error);
        return 'failed';
      }
    };
    const outcome = run();
    outcome.then(markApplied);
    settled.set(id, outcome);
  };
  for (const wave of schedule.waves) for (const id of wave) start(id);
  await Promise.all(settled.values());

  // Objects of this node that no resource of the record names any more.
  const current = new Set([...prepared.values()].map((p) => refKey(p.ref)));
  const stale = context.inventory.objectsOf(node.id).filter((object) => !current.has(refKey(object.ref)));
  // Only objects that are rowkube's: a Stuck conflict or an object Once found
  // in place belongs to someone else, and the inventory is what gets deleted.
  // Recorded also when the record is retried or superseded (a tombstone right
  // behind it): what was applied is in the cluster either way.
  for (const { ref, resource } of prepared.values())
    if (owned.has(resource.id))
      context.inventory.add(node.id, ownedEntry(ref, resource.id, resource.deletionPolicy));
  if (retries.length > 0) throw retries[0];
  if (options.signal.aborted) return;
  // A resource whose object could not even be prepared keeps what it had.
  const unprepared = new Set(node.resources.filter((r) => !prepared.has(r.id)).map((r) => r.id));
  const prunable = stale.filter((object) => !unprepared.has(object.resourceId));
  if (prunable.length > 0) await removeObjects(context, node.id, prunable, 'removed-from-form', audit);
}

/** The node is gone (tombstone): every object it owns is deleted or retained. */
export async function removeNode(context: SinkContext, nodeId: string, audit: NodeAudit): Promise<void> {
  const objects = context.inventory.objectsOf(nodeId);
  if (objects.length > 0) await removeObjects(context, nodeId, objects, 'node-deleted', audit);
}

/** A final failure of one resource: refused when its namespace is not allowed, failed otherwise. */
export function recordFinalFailure(
  audit: NodeAudit,
  resourceId: string,
  ref: PreparedResource['ref'] | undefined,
  error: unknown,
): void {
  const code = error instanceof RowkubeError ? error.code : ErrorCode.KUBERNETES;
  audit.record(code === ErrorCode.FORBIDDEN_NAMESPACE ? 'refused' : 'failed', {
    resourceId,
    ...(ref ? { ref } : {}),
    reason: messageOf(error),
    errorCode: code,
  });
}

function ownedEntry(ref: OwnedObject['ref'], resourceId: string, policy: string): OwnedObject {
  return { ref, resourceId, deletionPolicy: policy === 'Retain' ? 'Retain' : 'Delete' };
}

function kindOf(manifest: string): { kind: string; apiVersion: string } {
  const { kind, apiVersion } = JSON.parse(manifest) as { kind?: unknown; apiVersion?: unknown };
  return { kind: String(kind ?? ''), apiVersion: String(apiVersion ?? '') };
}

function messageOf(error: unknown): string {
  if (error instanceof RowkubeError) return error.message.replace(`${error.code}: `, '');
  return error instanceof Error ? error.message : String(error);
}
