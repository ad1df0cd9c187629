import type { ChangeSink, Row, RowChange, TableSchema } from '../src/core/change-event.js';
import {
  type KeyPart,
  rowKeyText,
  type SnapshotProgress,
  snapshotInProgressPosition,
} from '../src/core/snapshot-progress.js';
import type { OffsetCodec, SnapshotContext } from '../src/core/source-connector.js';

// What both connectors' snapshots have in common once a row is read: the
// chunks. Rows go to the sink as op 'r'; every `chunkRows` rows a commit
// stores the progress with the position the stream will start from, so that
// a crash loses at most one chunk of work. The end of a table is recorded in
// the next commit (a chunk of the next table, or the last commit, which
// stores the stream position alone): a small source is one commit, as
// before chunks. The connector only reads: table by table, page by page after
// the key this class says to resume from.
//
// For a re-snapshot (context.capturedRows), each table starts with the rows
// its change topic holds from before the snapshot began; a row read again
// drops out, and those left at the table's end are deleted (op 'd', then a
// tombstone) in the commit that records the table done. A crash in between
// is harmless: the rows re-read before it were written after the snapshot
// began, so the next attempt does not count them as old.

export class SnapshotChunks<Position> {
  private readonly progress: SnapshotProgress;
  /** Rows appended since the last commit. */
  private inChunk = 0;
  /** The last commit, awaited before the next one: at most one chunk is in flight. */
  private lastCommit: Promise<void> | undefined;
  /** Re-snapshot: the old rows of the current table not read again yet, by key. */
  private stale: Map<string, Row> | undefined;
  private schema: TableSchema | undefined;

  constructor(
    private readonly sink: ChangeSink,
    private readonly codec: OffsetCodec<Position>,
    /** Where the stream starts after the snapshot. */
    private readonly from: Position,
    progress: SnapshotProgress,
    private readonly context: SnapshotContext,
  ) {
    this.progress = structuredClone(progress);
  }

  /** Rows committed or appended so far. */
  get rows(): number {
    return this.progress.rows;
  }

  /** Whether an earlier attempt committed every row of the table. */
  isDone(label: string): boolean {
    return this.progress.done.includes(label);
  }

  /**
   * Starts a table; returns the key to continue after (a snapshot cut short
   * in this table), or undefined to read it from its first row.
   */
  async beginTable(label: string, schema: TableSchema): Promise<KeyPart[] | undefined> {
    const resume = this.progress.table === label ? this.progress.lastKey : undefined;
    this.progress.table = label;
    if (resume === undefined) delete this.progress.lastKey;
    this.schema = schema;
    const captured = this.context.capturedRows;
    this.stale =
      captured === undefined
        ? undefined
        : await captured.liveRowsBefore(schema, this.progress.startedAtMs, this.context.signal);
    if (this.stale !== undefined && this.stale.size > 0)
      this.context.logger.info(
        { table: label, rows: this.stale.size, action: 'snapshot-replace' },
        'rows captured before the re-snapshot: those not read again become deletions',
      );
    return resume;
  }

  /** One row of the current table, read in key order; `key` is its primary key as the driver gave it. */
  async row(change: RowChange, key: KeyPart[]): Promise<void> {
    if (this.stale !== undefined && change.after !== null)
      this.stale.delete(rowKeyText(change.table, change.after));
    await this.sink.append(change);
    this.progress.rows += 1;
    this.progress.lastKey = key;
    this.inChunk += 1;
    if (this.inChunk >= this.context.chunkRows) await this.commitChunk();
  }

  /** Ends the current table: the deletions of a re-snapshot; the next commit records the table done. */
  async endTable(): Promise<void> {
    const { table } = this.progress;
    if (table === undefined || this.schema === undefined)
      throw new TypeError('endTable() without beginTable()');
    if (this.stale !== undefined && this.stale.size > 0) {
      this.context.logger.info(
        { table, rows: this.stale.size, action: 'snapshot-delete' },
        'rows gone since the last capture: emitting deletions',
      );
      for (const before of this.stale.values())
        await this.sink.append({
          op: 'd',
          table: this.schema,
          before: fitRow(this.schema, before),
          after: null,
        });
    }
    this.stale = undefined;
    this.progress.done.push(table);
    delete this.progress.table;
    delete this.progress.lastKey;
  }

  /** Every table done: commits the stream's start position alone and resolves with it once stored. */
  async finish(): Promise<Position> {
    await this.lastCommit;
    await this.sink.commit({
      position: this.codec.serialize(this.from),
      commitTsMs: this.progress.startedAtMs,
      snapshot: true,
    });
    this.context.progress(structuredClone(this.progress));
    return this.from;
  }

  private async commitChunk(): Promise<void> {
    // One commit in flight: the next chunk is read while Kafka commits this one.
    await this.lastCommit;
    const progress = structuredClone(this.progress);
    this.inChunk = 0;
    const committed = this.sink.commit({
      position: snapshotInProgressPosition(this.codec.serialize(this.from), progress),
      commitTsMs: progress.startedAtMs,
      snapshot: true,
    });
    this.lastCommit = committed.then(() => this.context.progress(progress));
    // Rejections surface at the next await of lastCommit; until then they are not unhandled.
    this.lastCommit.catch(() => undefined);
  }
}

/** An old row as the current table definition has it: columns gone are left out, new ones are null. */
function fitRow(schema: TableSchema, row: Row): Row {
  const fitted: Row = {};
  for (const column of schema.columns) fitted[column.name] = row[column.name] ?? null;
  return fitted;
}
