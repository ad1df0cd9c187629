import type { NodeStatus } from '../contracts/index.js';
import type { StatusTableRow } from '../core/status-table.js';

/** The status-table row of a node's status: counts instead of the object list, ms as numbers. */
export function statusTableRow(status: NodeStatus): StatusTableRow {
  const slash = status.nodeId.indexOf('/');
  return {
    nodeId: status.nodeId,
    hub: status.hub,
    form: status.form,
    uid: slash < 0 ? status.nodeId : status.nodeId.slice(slash + 1),
    state: status.state,
    objectsReady: status.objects.filter((o) => o.ready).length,
    objectsTotal: status.objects.length,
    appliedPosition: status.position,
    commitTsMs: status.commitTsMs === null ? null : Number(status.commitTsMs),
    errorCode: status.error?.code ?? null,
    errorMessage: status.error?.message ?? null,
    stateSinceMs: Number(status.stateSinceMs),
    updatedAtMs: Number(status.updatedAtMs),
  };
}

/** The form of a node id `<form>/<uid>`. */
export function formOfNode(nodeId: string): string {
  const slash = nodeId.indexOf('/');
  return slash < 0 ? nodeId : nodeId.slice(0, slash);
}
