import type {
  ChangeSink,
  CommitInfo,
  RowChange,
  SchemaVersion,
  SourcePosition,
} from '../src/core/change-event.js';

// A ChangeSink that records what a connector delivers: the test double of the
// Kafka side in connector tests. It keeps the last committed position as the
// offset store would, so a restarted connector can be handed it.

export interface RecordedTransaction {
  changes: RowChange[];
  info: CommitInfo;
}

export class RecordingSink implements ChangeSink {
  /** Committed transactions in commit order, empty ones (position-only commits) included. */
  readonly transactions: RecordedTransaction[] = [];
  /** Appended since the last commit. */
  pending: RowChange[] = [];
  /** Schema-history entries committed, in order (what a store would hold). */
  readonly schemaHistory: SchemaVersion[] = [];
  private pendingSchemas: SchemaVersion[] = [];
  aborts = 0;
  /**
   * Runs before a commit is recorded; may block (a slow Kafka) or throw (a
   * failed transaction: nothing of it is recorded).
   */
  beforeCommit?: (info: CommitInfo, changes: readonly RowChange[]) => Promise<void> | void;
  /** Runs before a change is recorded; may block (backpressure) or throw. */
  beforeAppend?: (change: RowChange) => Promise<void> | void;

  async append(change: RowChange): Promise<void> {
    await this.beforeAppend?.(change);
    this.pending.push(change);
  }

  /** Takes the pending changes at once: a connector may append the next transaction before this resolves. */
  async commit(info: CommitInfo): Promise<void> {
    const changes = this.pending;
    const schemas = this.pendingSchemas;
    this.pending = [];
    this.pendingSchemas = [];
    await this.beforeCommit?.(info, changes);
    this.transactions.push({ changes, info });
    this.schemaHistory.push(...schemas);
  }

  recordSchema(version: SchemaVersion): void {
    this.pendingSchemas.push(version);
  }

  abort(): void {
    this.pending = [];
    this.pendingSchemas = [];
    this.aborts += 1;
  }

  /** The position an offset store would hold: the last commit's. */
  lastPosition(): SourcePosition | undefined {
    return this.transactions.at(-1)?.info.position;
  }

  /** Every committed change, in order. */
  changes(): RowChange[] {
    return this.transactions.flatMap((t) => t.changes);
  }

  /** Committed transactions that carried changes. */
  dataTransactions(): RecordedTransaction[] {
    return this.transactions.filter((t) => t.changes.length > 0);
  }
}
