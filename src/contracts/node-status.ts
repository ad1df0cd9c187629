// One record of `<prefix>.status` (compacted, keyed by node id): where one
// node stands on the cluster, as the sink last saw it. The sink writes it; the
// `rowkube status` and `rowkube wait` commands, the observability server's
// `/v1/nodes` and `/ui`, and the optional status table read it. Avro longs are
// bigint, as everywhere in rowkube (schema: schemas/status.avsc).

/**
 * A node's state, in the order a node usually passes through them:
 *   Progressing  the sink is applying a row version (or waiting for readiness);
 *   Ready        every object of the version is applied and, where asked, ready;
 *   Failed       an object failed, timed out or was refused, or the row could not be rendered;
 *   Conflict     an object is held by another field manager (conflictPolicy Stuck);
 *   Skipped      objects were skipped because a dependency failed;
 *   Deleted      the row is gone or deactivated and its objects were removed or retained.
 */
export const NODE_STATES = ['Progressing', 'Ready', 'Failed', 'Conflict', 'Skipped', 'Deleted'] as const;

export type NodeState = (typeof NODE_STATES)[number];

export function isNodeState(value: string): value is NodeState {
  return (NODE_STATES as readonly string[]).includes(value);
}

/** One object of the node, with the sink's last action on it. */
export interface NodeObjectStatus {
  /** The form resource the object comes from. */
  resourceId: string;
  apiVersion: string;
  kind: string;
  /** null for a cluster-scoped object. */
  namespace: string | null;
  name: string;
  /** The last audit action on it (created, configured, unchanged, failed, ...). */
  lastAction: string;
  /** Ready by its kind's readiness rule; true for objects that are not waited for once applied. */
  ready: boolean;
}

export interface NodeStatus {
  /** `<form>/<uid>`; also the record key. */
  nodeId: string;
  hub: string;
  form: string;
  state: NodeState;
  /** When the node entered `state`, by the sink's clock, ms since epoch. */
  stateSinceMs: bigint;
  /** When this record was written, by the sink's clock, ms since epoch. */
  updatedAtMs: bigint;
  objects: NodeObjectStatus[];
  /** The row version this status reflects: the desired record's provenance. */
  source: string;
  table: string;
  /** The source position as JSON text (the desired record's provenance.position); null when unknown. */
  position: string | null;
  /** Commit time by the database clock, ms since epoch; null when unknown. */
  commitTsMs: bigint | null;
  /** The rendered content hash of that version (the desired record's contentHash). */
  contentHash: string;
  /** The last error: a ROWKUBE_ERR_* code and its message; null when the node has none. */
  error: { code: string; message: string; at: bigint } | null;
  /** The form version of that row version (the desired record's formVersion); null when unknown. */
  formVersion?: string | null;
  /** The cluster the node is on (the desired record's cluster); absent or null for the default cluster. */
  cluster?: string | null;
}
