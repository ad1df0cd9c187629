import { AUDIT_ACTIONS, type AuditAction, type AuditEvent } from '../contracts/index.js';

// What a replay did, counted as it goes: the progress line every few seconds
// and the final summary are both read from here.

/** Actions that mean a resource of the node did not end up as desired. */
export const FAILURE_ACTIONS: ReadonlySet<AuditAction> = new Set([
  'failed',
  'conflict',
  'timed_out',
  'refused',
  'skipped',
]);

/** Actions on an object that leave it as desired in the cluster. */
const OBJECT_ACTIONS: ReadonlySet<AuditAction> = new Set(['created', 'configured', 'unchanged', 'recreated']);

export interface NodeFailure {
  nodeId: string;
  /** The first failure's reason, with its object when there is one. */
  reason: string;
}

export class ReplayTally {
  readonly actions = new Map<AuditAction, number>();
  readonly failures: NodeFailure[] = [];
  nodesDone = 0;
  /** Nodes that ended without any failure. */
  succeeded = 0;
  objects = 0;

  constructor(readonly nodesTotal: number) {}

  /**
   * One node handled: its audit events, and a failure the events do not show
   * (it was stopped half-way). The node failed when either says so.
   */
  nodeDone(nodeId: string, events: readonly AuditEvent[], failure?: string): void {
    this.nodesDone += 1;
    let failed: AuditEvent | undefined;
    for (const event of events) {
      this.actions.set(event.action, (this.actions.get(event.action) ?? 0) + 1);
      if (OBJECT_ACTIONS.has(event.action)) this.objects += 1;
      if (failed === undefined && FAILURE_ACTIONS.has(event.action)) failed = event;
    }
    const reason = failed === undefined ? failure : describeFailure(failed);
    if (reason === undefined) this.succeeded += 1;
    else this.failures.push({ nodeId, reason });
  }

  /** Counts per action, in the order AUDIT_ACTIONS lists them, without zeros. */
  actionCounts(): [AuditAction, number][] {
    return AUDIT_ACTIONS.flatMap((action) => {
      const count = this.actions.get(action) ?? 0;
      return count > 0 ? [[action, count] as [AuditAction, number]] : [];
    });
  }

  progressLine(elapsedMs: number): string {
    return (
      `replay: ${this.nodesDone}/${this.nodesTotal} nodes, ${this.objects} objects, ` +
      `${this.failures.length} failed, ${(elapsedMs / 1_000).toFixed(1)} s`
    );
  }
}

/** An event that says an object is not as desired, with its object first: `Deployment/ns/web: timed_out (CODE) why`. */
export function describeFailure(event: AuditEvent): string {
  const { object } = event;
  const what =
    object === null
      ? event.resourceId === null
        ? ''
        : `${event.resourceId}: `
      : `${object.kind}/${object.namespace === null ? '' : `${object.namespace}/`}${object.name}: `;
  return `${what}${event.action}${event.errorCode === null ? '' : ` (${event.errorCode})`} ${event.reason}`;
}
