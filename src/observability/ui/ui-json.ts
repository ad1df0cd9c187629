import type { NodeStatus } from '../../contracts/index.js';

// The JSON the page reads. Avro longs are bigint in rowkube; JSON has no
// bigint, and every long here is a time in ms since epoch, which a double
// holds exactly.

/** One line of the node list. */
export interface NodeRow {
  nodeId: string;
  hub: string;
  form: string;
  state: string;
  stateSinceMs: number;
  updatedAtMs: number;
  objectsReady: number;
  objectsTotal: number;
  error: { code: string; message: string } | null;
}

export function nodeRow(node: NodeStatus): NodeRow {
  return {
    nodeId: node.nodeId,
    hub: node.hub,
    form: node.form,
    state: node.state,
    stateSinceMs: Number(node.stateSinceMs),
    updatedAtMs: Number(node.updatedAtMs),
    objectsReady: node.objects.filter((object) => object.ready).length,
    objectsTotal: node.objects.length,
    error: node.error === null ? null : { code: node.error.code, message: node.error.message },
  };
}

/** The whole status, bigints as numbers. */
export function statusJson(node: NodeStatus): unknown {
  return {
    ...node,
    stateSinceMs: Number(node.stateSinceMs),
    updatedAtMs: Number(node.updatedAtMs),
    commitTsMs: node.commitTsMs === null ? null : Number(node.commitTsMs),
    error: node.error === null ? null : { ...node.error, at: Number(node.error.at) },
  };
}
