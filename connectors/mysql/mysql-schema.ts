import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { ColumnSpec, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { mysqlColumnKind } from './mysql-types.js';

interface ColumnRow extends RowDataPacket {
  name: string;
  columnType: string;
  nullable: 'YES' | 'NO';
  columnKey: string;
}

/**
 * Reads a table's current shape from information_schema. The binlog's own
 * metadata (binlog_row_metadata=FULL) names the columns of each row event; the
 * source checks those names against this schema and reloads it after an ALTER.
 */
export async function loadMysqlTableSchema(
  connection: Connection,
  source: string,
  database: string,
  table: string,
): Promise<TableSchema> {
  const [columns] = await connection.query<ColumnRow[]>(
    `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable, COLUMN_KEY AS columnKey
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [database, table],
  );
  if (columns.length === 0) {
    throw new RowkubeError(
      ErrorCode.TABLE_NOT_FOUND,
      `source ${source}: table ${database}.${table} does not exist or the capture user may not read it`,
    );
  }
  const [keys] = await connection.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
    [database, table],
  );
  const jsonColumns = await mariadbJsonColumns(connection, database, table);
  const specs: ColumnSpec[] = columns.map((c) => ({
    name: c.name,
    kind: mysqlColumnKind(c.columnType, jsonColumns.has(c.name), `${database}.${table}.${c.name}`),
    nullable: c.nullable === 'YES',
    sourceType: c.columnType,
  }));
  return { source, database, table, columns: specs, primaryKey: keys.map((k) => String(k.name)) };
}

/**
 * MariaDB's JSON is LONGTEXT with a json_valid() check constraint; that check
 * is the only way to tell a JSON column from text. MySQL has a real json type,
 * and no such constraints, so this returns an empty set there.
 */
async function mariadbJsonColumns(
  connection: Connection,
  database: string,
  table: string,
): Promise<Set<string>> {
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`,
      [database, table],
    );
    const names = new Set<string>();
    for (const row of rows) {
      const match = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(row.clause).trim());
      if (match?.[1]) names.add(match[1].replaceAll('``', '`'));
    }
    return names;
  } catch {
    return new Set();
  }
}

/** True when a row event's column names are exactly the schema's, in order. */
export function columnsMatch(schema: TableSchema, names: readonly string[]): boolean {
  return schema.columns.length === names.length && schema.columns.every((c, i) => c.name === names[i]);
}
