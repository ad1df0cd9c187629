import type { DecodedAuditEvent } from '../../contracts/index.js';

// A node's history as the dashboard's node page shows it: from the database
// transaction to the applied objects. The audit events of one row version
// share their provenance (source, table, position, commit time), so
// consecutive events with the same provenance are one transaction, shown as
// its commit followed by each action with its COMMIT→action latency.

export interface HistoryAction {
  /** When the action finished, by the sink's clock, ms since epoch. */
  appliedAtMs: number;
  action: string;
  /** `Kind namespace/name` (or `Kind name` when cluster-scoped); null for an event about the whole node. */
  object: string | null;
  resourceId: string | null;
  reason: string;
  errorCode: string | null;
  /** Commit → this action; null without a commit time. */
  latencyMs: number | null;
}

export interface HistoryTransaction {
  source: string;
  table: string;
  /** The source position as JSON text; null when unknown. */
  position: string | null;
  /** Commit time by the database clock, ms since epoch; null when unknown. */
  commitTsMs: number | null;
  actions: HistoryAction[];
}

function objectLabel(event: DecodedAuditEvent): string | null {
  const object = event.object;
  if (object === null) return null;
  return object.namespace === null
    ? `${object.kind} ${object.name}`
    : `${object.kind} ${object.namespace}/${object.name}`;
}

/** The events (oldest first, as node-history reads them) grouped into transactions, oldest first. */
export function historyTransactions(events: readonly DecodedAuditEvent[]): HistoryTransaction[] {
  const transactions: HistoryTransaction[] = [];
  let current: HistoryTransaction | undefined;
  for (const event of events) {
    const { source, table, position } = event.provenance;
    const commitTsMs = event.provenance.commitTsMs === null ? null : Number(event.provenance.commitTsMs);
    if (
      current === undefined ||
      current.source !== source ||
      current.table !== table ||
      current.position !== position ||
      current.commitTsMs !== commitTsMs
    ) {
      current = { source, table, position, commitTsMs, actions: [] };
      transactions.push(current);
    }
    current.actions.push({
      appliedAtMs: Number(event.appliedAtMs),
      action: event.action,
      object: objectLabel(event),
      resourceId: event.resourceId,
      reason: event.reason,
      errorCode: event.errorCode,
      latencyMs: event.latencyMs === null ? null : Number(event.latencyMs),
    });
  }
  return transactions;
}
