import type { Logger } from 'pino';
import type { ChangeSink, SchemaVersion, SourcePosition } from './change-event.js';

// The contract every connector implements, with Debezium's fixed roles: a
// preflight, a snapshot source, a streaming source and an offset codec. One
// loop (connectors/run-capture.ts) drives every connector through them and
// owns what they have in common: the order of the phases, the sink's
// recovery, the backoff, the readiness and which errors are retried.
//
//   load the stored position → preflight → snapshot (no position yet) → stream
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

export interface StreamContext extends CaptureContext {
  /** Call once the stream is connected and reading: readiness, and the backoff starts over. */
  streaming(): void;
}

/**
 * One source database, as runCapture drives it. Calls never overlap; each
 * attempt calls preflight, then (only when no position is stored) snapshot,
 * then stream. Errors mean:
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
   * First start only: every row of every table as op 'r', appended and then
   * committed in one sink transaction (`snapshot: true`) whose position is
   * where the stream starts. Resolves with that position once the sink
   * acknowledged the commit.
   */
  snapshot(prepared: Prepared, sink: ChangeSink, context: CaptureContext): Promise<Position>;
  /**
   * Streams from `from` (a transaction boundary: nothing before it is
   * delivered again) until the signal aborts (resolves) or the stream fails
   * (rejects). Follows the ChangeSink contract: one commit per source
   * transaction, acknowledged to the database only once the sink stored it.
   */
  stream(prepared: Prepared, from: Position, sink: ChangeSink, context: StreamContext): Promise<void>;
}
