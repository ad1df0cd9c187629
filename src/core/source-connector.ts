import type { Logger } from 'pino';
import type { ChangeSink, Row, SchemaVersion, SourcePosition, TableSchema } from './change-event.js';
import type { SnapshotProgress } from './snapshot-progress.js';

// The contract every connector implements, with Debezium's fixed roles: a
// preflight, a snapshot source, a streaming source and an offset codec. One
// loop (connectors/run-capture.ts) drives every connector through them and
// owns what they have in common: the order of the phases, the sink's
// recovery, the backoff, the readiness and which errors are retried.
//
//   load the stored position → preflight → snapshot (no position yet, or a
//   snapshot in progress, or one requested) → stream
//
// A connector does one attempt of each phase and throws on failure; it never
// retries, sleeps or aborts the sink itself. The loop runs the phases again
// from the stored position after a retriable failure.

/**
 * A connector's position type and its stored form (`<prefix>._offsets`). The
 * loop reads the stored position through parse() before every attempt, and
 * never resumes behind a position the sink acknowledged in this process
 * (compare()).
 */
export interface OffsetCodec<Position> {
  /**
   * The stored form back into a position. Throws a non-retriable error for a
   * position another connector wrote (a configuration error, not something to
   * guess around).
   */
  parse(stored: SourcePosition): Position;
  serialize(position: Position): SourcePosition;
  /** Negative, zero or positive as `a` is before, at or after `b` in the source's log. */
  compare(a: Position, b: Position): number;
  /** For logs: "mariadb-bin.000003:1234", "16/B374D848". */
  format(position: Position): string;
}

/** What every phase gets. */
export interface CaptureContext {
  /** Aborting stops capture: the phase returns (or throws) promptly, with no sink call in flight. */
  readonly signal: AbortSignal;
  /** Carries `source` and `connector`; phases add `table`, `position`, `action`. */
  readonly logger: Logger;
  /**
   * The source's stored schema history (ChangeSink.recordSchema), in the order
   * it was recorded, read again before every attempt; empty (or absent) on a
   * first start or with a sink that keeps none.
   */
  readonly schemaHistory?: readonly SchemaVersion[];
}

/**
 * The rows the change topics hold for a table: what a re-snapshot replaces.
 * The Kafka side implements it (src/kafka/captured-rows.ts).
 */
export interface CapturedRows {
  /**
   * The last row of every key of `table` whose latest record in its change
   * topic (read_committed, to its end) is a row, not a tombstone, and was
   * written before `beforeMs`: keyed by rowKeyText().
   */
  liveRowsBefore(table: TableSchema, beforeMs: number, signal: AbortSignal): Promise<Map<string, Row>>;
}

/**
 * What the snapshot phase gets besides the common context. The snapshot
 * commits every `chunkRows` rows (and at each table's end), each commit's
 * position holding the progress (snapshotInProgressPosition), so that a
 * crashed snapshot resumes after its last committed chunk.
 */
export interface SnapshotContext extends CaptureContext {
  /** Rows per chunk: per sink commit, and per keyset query. */
  readonly chunkRows: number;
  /**
   * Set for a re-snapshot (`rowkube snapshot --source`): rows the change
   * topics hold that the snapshot does not read again become deletions.
   */
  readonly capturedRows?: CapturedRows | undefined;
  /** Called once a chunk's commit is acknowledged: logs, metrics, readiness. */
  progress(progress: SnapshotProgress): void;
}

/** A snapshot cut short that capture resumes (from the stored progress). */
export interface SnapshotResume<Position> {
  /** Where the stream starts once the snapshot is done: recorded when the snapshot began. */
  from: Position;
  progress: SnapshotProgress;
}

export interface StreamContext extends CaptureContext {
  /** Call once the stream is connected and reading: readiness, and the backoff starts over. */
  streaming(): void;
}

/**
 * One source database, as runCapture drives it. Calls never overlap; each
 * attempt calls preflight, then (only when no stream position is stored)
 * snapshot, then stream. Errors mean:
 * - a RowkubeError carries its own verdict (`retriable`): misconfiguration,
 *   missing privileges, a purged position, a table without a primary key are
 *   not retriable; a lost connection is;
 * - any other error is retried only if isTransient() lists it (driver errors
 *   such as ECONNREFUSED); programming errors (TypeError…) never are.
 * Sink errors pass through unchanged: the loop notices them itself.
 */
export interface SourceConnector<Prepared = unknown, Position = unknown> {
  /** The database kind, for logs: "mysql", "postgres". */
  readonly kind: string;
  /** The configured source name: topic names and the offset key. */
  readonly name: string;
  readonly offsetCodec: OffsetCodec<Position>;
  /**
   * The connector's transient driver errors (the server went away, refused
   * the connection, is restarting). It only lists them; the loop decides.
   */
  isTransient(error: unknown): boolean;
  /**
   * Connects and checks everything capture depends on (server settings,
   * privileges, tables and their keys, that the stored position `from` is
   * still available), and returns what snapshot and stream need (table
   * schemas). Leaves no connection open.
   */
  preflight(from: Position | undefined, context: CaptureContext): Promise<Prepared>;
  /**
   * When no stream position is stored: every row of every table as op 'r',
   * committed in chunks (`snapshot: true`) of at most `context.chunkRows`
   * rows, each commit's position being snapshotInProgressPosition(where the
   * stream will start, the progress). Tables are read in primary-key order
   * with keyset pagination, so that `resumeFrom` (a snapshot cut short)
   * continues each table after the last committed key, skipping the tables
   * done. The last commit is the stream's start position alone. Resolves
   * with that position once the sink acknowledged it.
   *
   * A fresh snapshot is consistent where the database allows (one snapshot
   * transaction, with the position it matches); a resumed one reads the
   * current rows, and the stream from the position recorded at the start
   * replays what changed since, so the final state is exact.
   */
  snapshot(
    prepared: Prepared,
    sink: ChangeSink,
    context: SnapshotContext,
    resumeFrom?: SnapshotResume<Position>,
  ): Promise<Position>;
  /**
   * Streams from `from` (a transaction boundary: nothing before it is
   * delivered again) until the signal aborts (resolves) or the stream fails
   * (rejects). Follows the ChangeSink contract: one commit per source
   * transaction, acknowledged to the database only once the sink stored it.
   */
  stream(prepared: Prepared, from: Position, sink: ChangeSink, context: StreamContext): Promise<void>;
}
