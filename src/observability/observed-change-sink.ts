import type { Logger } from 'pino';
import type { PipelineMetrics } from '../contracts/index.js';
import type { ChangeSink, CommitInfo, RowChange, SchemaVersion, TableSchema } from '../core/change-event.js';

// Wraps a source's ChangeSink to count its change events, without either
// connector knowing. (A snapshot's progress is logged by the capture loop,
// from the progress each chunk commits.) A source
// transaction's events are counted once Kafka acknowledged its commit; what
// abort() drops (a transaction cut short, read again later) is not counted.

type Inner = ChangeSink & { abort(): Promise<void> | void };

export interface ObservedChangeSinkOptions {
  source: string;
  metrics?: PipelineMetrics;
  logger: Logger;
}

export class ObservedChangeSink implements ChangeSink {
  /** Events of the source transaction being appended, by table. */
  private pending = new Map<string, number>();

  constructor(
    private readonly inner: Inner,
    private readonly options: ObservedChangeSinkOptions,
  ) {}

  append(change: RowChange): Promise<void> | void {
    const table = tableName(change.table);
    this.pending.set(table, (this.pending.get(table) ?? 0) + 1);
    return this.inner.append(change);
  }

  commit(info: CommitInfo): Promise<void> {
    const counted = this.pending;
    this.pending = new Map();
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
    return this.inner.abort();
  }
}

/** The table as the configuration names it: PostgreSQL's schema only when it is not `public`. */
function tableName(table: Pick<TableSchema, 'schema' | 'table'>): string {
  return table.schema === undefined || table.schema === 'public'
    ? table.table
    : `${table.schema}.${table.table}`;
}
