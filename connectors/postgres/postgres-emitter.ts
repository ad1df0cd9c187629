// pgoutput row messages → RowChanges. Pure: the values arrive as PostgreSQL's
// text form (postgres-source.ts turns pgoutput's pg-types parsing off), and
// the table's shape comes from the latest Relation message (postgres-schema.ts).
//
// What the tuples hold, by the table's REPLICA IDENTITY:
// - insert: the new row.
// - update: the new row, where an unchanged value stored out of line (TOAST)
//   is not sent (pgoutput's 'u' kind; the parser leaves it undefined) unless an
//   old tuple (FULL) supplies it. Before-image: FULL → the whole old row;
//   DEFAULT → the old primary key, but only when the key changed; otherwise
//   nothing, and `before` is null (the key did not change, or PostgreSQL would
//   have sent the old one).
// - delete: FULL → the whole old row; DEFAULT → the old primary key only.
//
// A before-image built from a key holds only the key columns: the others are
// absent from the Row (not null), since PostgreSQL did not send them.
//
// A primary-key change stays one 'u' change whose before holds the old key;
// the Kafka side (src/kafka/change-encoder.ts) turns it into delete + tombstone
// of the old key and create of the new one, for every connector alike.

import { type Row, type RowChange, type TableSchema, UNCHANGED_TOAST } from '../../src/core/change-event.js';
import { fromPgText } from './postgres-types.js';

/** A pgoutput tuple by column name: text, null (SQL NULL), or undefined (not sent). */
export type Tuple = Record<string, unknown>;

/** The row messages of pg-logical-replication's pgoutput parser, as far as the emitter reads them. */
export type RowMessage =
  | { tag: 'insert'; new: Tuple }
  | { tag: 'update'; key: Tuple | null; old: Tuple | null; new: Tuple }
  | { tag: 'delete'; key: Tuple | null; old: Tuple | null };

/**
 * A full tuple as a Row in the ColumnKind representations. A column the tuple
 * did not send (an unchanged TOAST value) becomes UNCHANGED_TOAST.
 */
export function decodeTuple(table: TableSchema, tuple: Tuple): Row {
  const row: Row = {};
  for (const column of table.columns) {
    row[column.name] = decodeValue(table, column.name, column.kind, tuple[column.name], UNCHANGED_TOAST);
  }
  return row;
}

/** A key-only tuple as a Row holding only the columns that were sent. */
export function decodeKeyTuple(table: TableSchema, tuple: Tuple): Row {
  const row: Row = {};
  for (const column of table.columns) {
    const value = tuple[column.name];
    if (value !== undefined)
      row[column.name] = decodeValue(table, column.name, column.kind, value, undefined);
  }
  return row;
}

function decodeValue(
  table: TableSchema,
  column: string,
  kind: Parameters<typeof fromPgText>[0],
  value: unknown,
  absent: unknown,
): unknown {
  if (value === undefined) return absent;
  if (value === null) return null;
  if (typeof value !== 'string') {
    // Only the text protocol is requested (no `binary` option): anything else is a bug.
    throw new TypeError(
      `${table.schema}.${table.table}.${column}: expected text from pgoutput, got ${typeof value}`,
    );
  }
  try {
    return fromPgText(kind, value);
  } catch (error) {
    throw new RangeError(
      `${table.schema}.${table.table}.${column}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The RowChange of one row message. */
export function emitRowChange(table: TableSchema, message: RowMessage): RowChange {
  switch (message.tag) {
    case 'insert':
      return { op: 'c', table, before: null, after: decodeTuple(table, message.new) };
    case 'delete':
      return { op: 'd', table, before: beforeImage(table, message), after: null };
    case 'update': {
      const after = decodeTuple(table, message.new);
      // Nothing sent about the old row: null, as Debezium does, rather than a key-only row whose
      // other columns a consumer would read as NULLs.
      const before = message.old || message.key ? beforeImage(table, message) : null;
      // A key column stored out of line and unchanged: its value is the old one.
      for (const name of table.primaryKey) {
        if (after[name] === UNCHANGED_TOAST && before && name in before) after[name] = before[name];
      }
      return { op: 'u', table, before, after };
    }
  }
}

function beforeImage(table: TableSchema, message: { key: Tuple | null; old: Tuple | null }): Row {
  if (message.old) return decodeTuple(table, message.old);
  if (message.key) return decodeKeyTuple(table, message.key);
  // A delete without identity: impossible once the table is published (PostgreSQL
  // refuses the DELETE under REPLICA IDENTITY NOTHING), and preflight refuses NOTHING.
  throw new TypeError(`${table.schema}.${table.table}: row message without old key or old row`);
}
