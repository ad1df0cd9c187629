import type { AuditEvent } from '../contracts/index.js';

// What one verb of the resource manager did to a node, object by object:
// created, configured, unchanged, pruned, deleted, retained, skipped, failed…
// as the audit events the caller publishes. Like Flux's change set, it feeds
// the logs, the metrics and the audit topic.

export interface ChangeSet {
  readonly nodeId: string;
  /** Every action taken, in order, including those taken before a failure stopped the node. */
  readonly events: readonly AuditEvent[];
  /**
   * Why the node stopped part way (the API server out of reach, a bug): the
   * caller retries it or gives up. Undefined when the node was handled; final
   * failures of one object (an invalid object, a conflict) are events instead.
   */
  readonly failure?: unknown;
}
