import type { Logger } from 'pino';
import type { PipelineMetrics } from '../contracts/index.js';
import type { ChangeSink, CommitInfo, RowChange, SchemaVersion, TableSchema } from '../core/change-event.js';
import { ProgressLine } from './progress-line.js';

// Wraps a source's ChangeSink to count its change events and to log the
// snapshot's progress, without either connector knowing. A source
// transaction's events are counted once Kafka acknowledged its commit; what
// abort() drops (a transaction cut short, read again later) is not counted.

type Inner = ChangeSink & { abort(): Promise<void> | void };

export interface ObservedChangeSinkOptions {
  source: string;
  metrics?: PipelineMetrics;
  /** Logs the snapshot's progress (rows read per table) every progressIntervalMs. */
  logger: Logger;
  progressIntervalMs?: number;
}

export class ObservedChangeSink implements ChangeSink {
  /** Events of the source transaction being appended, by table. */
  private pending = new Map<string, number>();
  private snapshot: ProgressLine | undefined;

  constructor(
    private readonly inner: Inner,
    private readonly options: ObservedChangeSinkOptions,
  ) {}

  append(change: RowChange): Promise<void> | void {
    const table = tableName(change.table);
    this.pending.set(table, (this.pending.get(table) ?? 0) + 1);
    // Op 'r' only comes from a snapshot, which is one long source transaction.
    if (change.op === 'r') {
      this.snapshot ??= new ProgressLine({
        logger: this.options.logger,
        message: 'snapshot progress',
        ...(this.options.progressIntervalMs === undefined
          ? {}
          : { intervalMs: this.options.progressIntervalMs }),
      });
      this.snapshot.add(table);
    }
    return this.inner.append(change);
  }

  commit(info: CommitInfo): Promise<void> {
    const counted = this.pending;
    this.pending = new Map();
    this.snapshot = undefined;
    const committed = this.inner.commit(info);
    const { metrics, source } = this.options;
    if (metrics !== undefined && counted.size > 0) {
      // Only counted; the connector handles the rejection of the promise it gets.
      committed.then(
        () => {
          for (const [table, events] of counted) metrics.changesCaptured(source, table, events);
        },
        () => undefined,
      );
    }
    return committed;
  }

  recordSchema(version: SchemaVersion): void {
    this.inner.recordSchema?.(version);
  }

  abort(): Promise<void> | void {
    this.pending.clear();
    this.snapshot = undefined;
    return this.inner.abort();
  }
}

/** The table as the configuration names it: PostgreSQL's schema only when it is not `public`. */
function tableName(table: Pick<TableSchema, 'schema' | 'table'>): string {
  return table.schema === undefined || table.schema === 'public'
    ? table.table
    : `${table.schema}.${table.table}`;
}
