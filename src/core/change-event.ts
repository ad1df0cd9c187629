// The vocabulary shared by the connectors (which produce row changes) and the
// Kafka side (which turns them into Avro change envelopes). Connectors speak
// only these types; nothing here knows about a particular database or Kafka.

/**
 * Debezium's operation codes: create, update, delete, read (snapshot), and
 * truncate (every row of the table removed at once; before and after are null).
 */
export type Op = 'c' | 'u' | 'd' | 'r' | 't';

/**
 * How a column's values are represented in a row change, whatever the database.
 * The Avro codec maps each kind to one Avro type; docs/types.md (later) lists
 * which database types land on which kind.
 */
export type ColumnKind =
  | 'boolean' // JS boolean
  | 'int' // JS number, 32-bit signed
  | 'long' // JS bigint: 64-bit integers exactly, beyond 2^53 too
  | 'float' // JS number: a 32-bit float as the shortest decimal that reads back as it (float32.ts)
  | 'double' // JS number
  | 'decimal' // JS string of the exact decimal, e.g. "-12.3400" (never a float)
  | 'string' // JS string (text, varchar, char, enum, set, uuid, ...)
  | 'json' // JS string holding the JSON text as the database has it
  | 'bytes' // Node Buffer
  | 'date' // JS string "YYYY-MM-DD"
  | 'time' // JS string "HH:MM:SS[.ffffff]"
  | 'local-timestamp' // JS string "YYYY-MM-DDTHH:MM:SS[.ffffff]", no zone (MySQL DATETIME, PG timestamp)
  | 'timestamp'; // JS string "YYYY-MM-DDTHH:MM:SS[.ffffff]Z", an instant in UTC (MySQL TIMESTAMP, PG timestamptz)

export interface ColumnSpec {
  /** The column's name exactly as in the database. */
  name: string;
  kind: ColumnKind;
  nullable: boolean;
  /** The database's own type text (e.g. "decimal(10,2)", "timestamptz"), for docs and debugging. */
  sourceType: string;
}

/** A captured table as the connector knows it at one point of the stream. */
export interface TableSchema {
  /** The configured source name (e.g. "appdb"); part of topic names. */
  source: string;
  /** Database (MySQL) or database name (PostgreSQL). */
  database: string;
  /** PostgreSQL schema (e.g. "public"); undefined for MySQL. */
  schema?: string;
  table: string;
  /** In table order. */
  columns: ColumnSpec[];
  /** Names of the primary key columns, in key order. Never empty for a captured table. */
  primaryKey: string[];
}

/** Column name → value, in the representation of ColumnKind. null is SQL NULL. */
export type Row = Record<string, unknown>;

/**
 * A value the database did not send because it did not change (PostgreSQL
 * TOAST without REPLICA IDENTITY FULL). Never silently dropped: the envelope
 * carries the column name in `unchanged`, and the value is null.
 */
export const UNCHANGED_TOAST = Symbol('unchanged-toast');

/** One row change in a source transaction. */
export interface RowChange {
  op: Op;
  table: TableSchema;
  /** Row before the change: null for c, r and t. */
  before: Row | null;
  /** Row after the change: null for d and t. */
  after: Row | null;
}

/**
 * Where a source is in its log. Each connector has its own shape and codec
 * (connectors/<db>/<db>-offset.ts); the Kafka side stores it as JSON.
 */
export type SourcePosition = Record<string, string | number | boolean | null>;

/**
 * One entry of a source's schema history (Debezium's idea): the definition of
 * a table in force from `position` on, until the next entry of that table.
 * Capture decodes each row event with the entry in force at its position, so
 * an event read again after a restart is described as it was written, not by
 * the table's definition of today.
 */
export interface SchemaVersion {
  /** The source position from which this definition is in force (the connector's serialized position). */
  position: SourcePosition;
  table: TableSchema;
}

/** What is known about the source transaction when it commits. */
export interface CommitInfo {
  /** The position to resume from after this transaction (never inside it). */
  position: SourcePosition;
  /** The database's transaction id, if it has one (GTID, xid). */
  txId?: string;
  /** Commit time by the database's clock, ms since epoch. */
  commitTsMs: number;
  /** True while emitting a snapshot. */
  snapshot?: boolean;
}

/**
 * Where a connector delivers its stream. Calls come in commit order:
 * append…append commit, append…append commit. A source transaction's changes
 * become visible to read_committed consumers together with its position, or
 * not at all; commit() resolves only once Kafka acknowledged them, and only
 * then may the connector acknowledge the position to the database.
 *
 * - append() may return a promise to push back; the connector awaits it before
 *   reading more, so a huge transaction streams through without being held in
 *   memory.
 * - commit() need not be awaited before the next transaction's appends: a sink
 *   may group several source transactions into one Kafka transaction. The
 *   promises resolve in call order; a rejected one means it and every later
 *   one failed.
 * - A commit() with no appends before it only moves the position (the source
 *   advanced past changes nobody captures), so an idle source does not replay
 *   from far back after a restart.
 * - abort() drops what was appended since the last commit(): the connector lost
 *   its connection inside a transaction and will read that transaction again.
 * - recordSchema() adds a schema-history entry to the current source
 *   transaction: it is stored with that transaction's commit, in the same
 *   Kafka transaction as its position, and dropped with it by abort(). A sink
 *   without it keeps no history (capture then decodes with what the database
 *   says now).
 */
export interface ChangeSink {
  append(change: RowChange): Promise<void> | void;
  commit(info: CommitInfo): Promise<void>;
  abort?(): Promise<void> | void;
  recordSchema?(version: SchemaVersion): void;
}
