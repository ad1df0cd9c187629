import type { Row, RowChange, TableSchema } from '../../src/core/change-event.js';
import { mysqlValue } from './mysql-types.js';

export type MysqlRowsEventName = 'writerows' | 'updaterows' | 'deleterows';

/** A row as zongji or mysql2 hands it over: column name → driver value. */
export type RawRow = Record<string, unknown>;

/** Converts a driver row into rowkube's representation, column by column of the schema. */
export function toRow(schema: TableSchema, raw: RawRow): Row {
  const row: Row = {};
  for (const column of schema.columns) row[column.name] = mysqlValue(column.kind, raw[column.name]);
  return row;
}

/**
 * One binlog rows event → row changes, in the event's order. A rows event holds
 * one statement's rows for one table; an UPDATE that changes the primary key
 * stays one change here (the Kafka side splits it into delete + create).
 */
export function rowsEventToChanges(
  eventName: MysqlRowsEventName,
  rows: readonly unknown[],
  schema: TableSchema,
): RowChange[] {
  switch (eventName) {
    case 'writerows':
      return rows.map((raw) => ({
        op: 'c',
        table: schema,
        before: null,
        after: toRow(schema, raw as RawRow),
      }));
    case 'deleterows':
      return rows.map((raw) => ({
        op: 'd',
        table: schema,
        before: toRow(schema, raw as RawRow),
        after: null,
      }));
    case 'updaterows':
      return rows.map((raw) => {
        const { before, after } = raw as { before: RawRow; after: RawRow };
        return { op: 'u', table: schema, before: toRow(schema, before), after: toRow(schema, after) };
      });
  }
}

/** A snapshot row: op 'r', Debezium's "read". */
export function snapshotChange(schema: TableSchema, raw: RawRow): RowChange {
  return { op: 'r', table: schema, before: null, after: toRow(schema, raw) };
}
