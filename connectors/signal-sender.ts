import type { SourceConfig } from '../src/core/config/config-schema.js';
import { mysqlUrlDatabase } from './mysql/mysql-connection.js';
import { insertMysqlSignal } from './mysql/mysql-incremental.js';
import { parseTableName, tableLabel } from './postgres/postgres-connection.js';
import { insertPostgresSignal } from './postgres/postgres-incremental.js';
import type { SignalRow } from './signal-table.js';

// Signals from outside capture (`rowkube snapshot --table`): which source
// captures a table, and the INSERT into that source's signal table. The
// running capture reads the row from the log and acts on it.

/** Whether `source` captures `table`, spelled as in its configuration or qualified (postgres "public.t"). */
export function capturesTable(source: SourceConfig, table: string): boolean {
  const label = source.postgres ? (name: string) => tableLabel(parseTableName(name)) : (name: string) => name;
  return source.tables.some((t) => label(t) === label(table));
}

/** Inserts `row` into the signal table of `source`, as the user of its URL. */
export async function sendSignal(source: SourceConfig, row: SignalRow): Promise<void> {
  const { signalTable } = source.incrementalSnapshots;
  if (source.mysql) {
    const { url, ssl } = source.mysql;
    return insertMysqlSignal(
      { source: source.name, url, ssl, database: mysqlUrlDatabase(url), signalTable },
      row,
    );
  }
  if (source.postgres)
    return insertPostgresSignal(
      { source: source.name, url: source.postgres.url, ssl: source.postgres.ssl, signalTable },
      row,
    );
  throw new TypeError(`source ${source.name} configures no database (mysql or postgres)`);
}
