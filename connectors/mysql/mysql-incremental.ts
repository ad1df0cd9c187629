import type { RowDataPacket } from 'mysql2';
import type { TableSchema } from '../../src/core/change-event.js';
import type { MysqlSslConfig } from '../../src/core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import type { IncrementalDialect, IncrementalSession } from '../incremental-snapshot-connector.js';
import { keysetQuery } from '../keyset-query.js';
import type { SignalRow } from '../signal-table.js';
import { connectMysql, type MysqlConnection } from './mysql-connection.js';
import type { MysqlPrepared } from './mysql-connector.js';
import { toRow } from './mysql-emitter.js';
import { quoteIdentifier } from './mysql-snapshot.js';
import { mysqlSelectList } from './mysql-types.js';

// The MySQL/MariaDB parts of incremental snapshots (connectors/incremental-snapshot.ts):
// the signal table's existence, the watermark INSERT and the chunk SELECT.
// Signal rows are recognised in the binlog like any captured table's rows.

export interface MysqlIncrementalOptions {
  source: string;
  url: string;
  /** `sources[].mysql.ssl`: TLS for every connection. */
  ssl?: MysqlSslConfig | undefined;
  /** The database of the URL: where the signal table and unqualified tables live. */
  database: string;
  signalTable: string;
}

/** Throws a CONFIG error for a qualified signal table name: it lives in the URL's database, like the captured tables. */
export function mysqlIncrementalDialect(options: MysqlIncrementalOptions): IncrementalDialect<MysqlPrepared> {
  const { url, database, signalTable } = options;
  if (signalTable.includes('.')) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `source ${options.source}: incrementalSnapshots.signalTable ${signalTable}: name a table of the URL's database ${database}, without a database prefix`,
    );
  }
  return {
    signalTable,
    label: (name) => name,
    labelOf: (table) => table.table,

    async signalTableExists() {
      const connection = await connectMysql(url, { ssl: options.ssl, source: options.source });
      try {
        const [rows] = await connection.query<RowDataPacket[]>(
          'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
          [database, signalTable],
        );
        return rows.length > 0;
      } finally {
        await connection.end().catch(() => undefined);
      }
    },

    async open({ schemas }): Promise<IncrementalSession> {
      const connection = await connectMysql(url, { ssl: options.ssl, source: options.source });
      return {
        writeSignal: (row) => insertSignal(connection, options, row),
        async readChunk(table, after, limit, latest) {
          // The stream keeps `schemas` current (it reloads a table after an ALTER); a shape seen in
          // the stream may be one described from an old event's binlog metadata.
          const schema = schemas.get(table) ?? latest;
          if (!schema) throw new TypeError(`no schema for captured table ${table}`);
          const { sql, params } = chunkQuery(schema, after, limit);
          const [rows] = await connection.query<RowDataPacket[]>(sql, params);
          return { schema, rows: rows.map((raw) => toRow(schema, raw)) };
        },
        close: () => connection.end(),
      };
    },
  };
}

/** Inserts a signal row into the signal table of `url` (what `rowkube snapshot --table` does). */
export async function insertMysqlSignal(options: MysqlIncrementalOptions, row: SignalRow): Promise<void> {
  const connection = await connectMysql(options.url, { ssl: options.ssl, source: options.source });
  try {
    await insertSignal(connection, options, row);
  } finally {
    await connection.end().catch(() => undefined);
  }
}

async function insertSignal(
  connection: MysqlConnection,
  options: MysqlIncrementalOptions,
  row: SignalRow,
): Promise<void> {
  const table = `${quoteIdentifier(options.database)}.${quoteIdentifier(options.signalTable)}`;
  try {
    await connection.query(`INSERT INTO ${table} (id, type, data) VALUES (?, ?, ?)`, [
      row.id,
      row.type,
      row.data,
    ]);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ER_TABLEACCESS_DENIED_ERROR' || code === 'ER_COLUMNACCESS_DENIED_ERROR') {
      const user = decodeURIComponent(new URL(options.url).username);
      throw new RowkubeError(
        ErrorCode.PRIVILEGES,
        `source ${options.source}: the user ${user} may not insert into the signal table ${options.database}.${options.signalTable}: ` +
          `GRANT INSERT ON ${table} TO '${user}'@'<host>'`,
        false,
        { cause: error },
      );
    }
    if (code === 'ER_NO_SUCH_TABLE') {
      throw new RowkubeError(
        ErrorCode.TABLE_NOT_FOUND,
        `source ${options.source}: the signal table ${options.database}.${options.signalTable} does not exist: ` +
          'create it as docs/capture.md "Incremental snapshots" shows',
        false,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The chunk SELECT: rows after `after` in primary-key order, with the select
 * list of the snapshot (FLOAT read at full precision), so that a row reads the
 * same from an initial and from an incremental snapshot.
 */
export function chunkQuery(
  schema: TableSchema,
  after: readonly unknown[] | null,
  limit: number,
): { sql: string; params: unknown[] } {
  const query = keysetQuery({
    dialect: 'mysql',
    columns: mysqlSelectList(schema),
    from: `${quoteIdentifier(schema.database)}.${quoteIdentifier(schema.table)}`,
    key: schema.primaryKey,
    quote: quoteIdentifier,
    after: after ?? undefined,
    limit,
  });
  return { sql: query.text, params: query.params };
}
