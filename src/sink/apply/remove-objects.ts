import type { AuditEvent } from '../../contracts/index.js';
import { ErrorCode } from '../../core/errors.js';
import { type OwnedObject, refKey } from '../inventory.js';
import { describeRef } from '../kube/index.js';
import { OrphanReason, orphanPatch } from '../ownership/index.js';
import { deletionWaves } from '../plan/index.js';
import type { NodeAudit, SinkContext } from './sink-context.js';

// Takes objects away from a node: deleted (deletionPolicy Delete) or kept
// without owner labels and with orphan markers (Retain), in reverse apply
// order — dependents first, Namespaces last. Only objects found in the
// inventory are touched, and the inventory holds only objects carrying this
// installation's owner labels, so nothing rowkube did not create is deleted.

export async function removeObjects(
  context: SinkContext,
  nodeId: string,
  objects: readonly OwnedObject[],
  why: 'node-deleted' | 'removed-from-form',
  audit: NodeAudit,
): Promise<void> {
  const byId = new Map(objects.map((object, index) => [`${index}`, object]));
  const waves = deletionWaves(
    nodeId,
    [...byId].map(([id, object]) => ({
      id,
      kind: object.ref.kind,
      apiVersion: object.ref.apiVersion,
      dependIds: [],
    })),
  );
  const deleted: AuditEvent['action'] = why === 'node-deleted' ? 'deleted' : 'pruned';
  for (const wave of waves) {
    await Promise.all(
      wave.map(async (id) => {
        const object = byId.get(id) as OwnedObject;
        const { ref, resourceId } = object;
        const namespace = ref.kind === 'Namespace' ? ref.name : ref.namespace;
        if (namespace !== undefined && !context.namespaceAllowed(namespace)) {
          audit.record('refused', {
            resourceId,
            ref,
            reason: `${describeRef(ref)} is in a namespace outside kubernetes.allowedNamespaces: not removed`,
            errorCode: ErrorCode.FORBIDDEN_NAMESPACE,
          });
          context.inventory.remove(nodeId, ref);
          return;
        }
        // rowkube's own removal: the watch event that follows is not drift.
        context.cache?.forget(ref);
        if (object.deletionPolicy === 'Retain') {
          const reason = why === 'node-deleted' ? OrphanReason.nodeDeleted : OrphanReason.removedFromForm;
          await context.limiter.run(() => context.kube.mergePatch(ref, orphanPatch(reason, new Date())));
          audit.record('retained', {
            resourceId,
            ref,
            reason: `deletionPolicy Retain: orphaned (${reason})`,
          });
        } else {
          const outcome = await context.limiter.run(() =>
            context.kube.delete(ref, { propagation: 'Background' }),
          );
          audit.record(deleted, {
            resourceId,
            ref,
            reason:
              outcome === 'absent'
                ? 'already gone'
                : why === 'node-deleted'
                  ? 'the node is gone'
                  : 'the resource left its form',
          });
        }
        context.inventory.remove(nodeId, ref);
        context.appliedHashes.delete(refKey(ref));
      }),
    );
  }
}
