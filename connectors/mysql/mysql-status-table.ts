import type { MysqlSslConfig } from '../../src/core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import {
  missingColumnsError,
  STATUS_TABLE_COLUMNS,
  type StatusTableStore,
  statusRowValues,
} from '../../src/core/status-table.js';
import { connectMysql, type MysqlConnection, mysqlUrlDatabase } from './mysql-connection.js';
import { quoteIdentifier } from './mysql-snapshot.js';

// A hub's status table in MySQL or MariaDB (src/core/status-table.ts). One
// connection, opened again after the server went away. Rows are upserted with
// a guard on updated_at, so two sinks that both follow the status topic never
// put an older state over a newer one. MariaDB reads the new row as VALUES(c);
// MySQL deprecated that for a row alias, which MariaDB does not know.

export interface MysqlStatusTableOptions {
  source: string;
  url: string;
  ssl?: MysqlSslConfig | undefined;
  table: string;
}

const COLUMN_TYPES: Record<(typeof STATUS_TABLE_COLUMNS)[number], string> = {
  node_id: 'VARCHAR(255) NOT NULL',
  hub: 'VARCHAR(63) NOT NULL',
  form: 'VARCHAR(63) NOT NULL',
  uid: 'VARCHAR(255) NOT NULL',
  state: 'VARCHAR(16) NOT NULL',
  objects_ready: 'INT NOT NULL',
  objects_total: 'INT NOT NULL',
  applied_position: 'TEXT NULL',
  commit_ts: 'DATETIME(3) NULL',
  error_code: 'VARCHAR(64) NULL',
  error_message: 'TEXT NULL',
  state_since: 'DATETIME(3) NOT NULL',
  updated_at: 'DATETIME(3) NOT NULL',
};

/** The CREATE TABLE rowkube runs when the table is missing (docs/status-table.md shows it too). */
export function mysqlStatusTableDdl(table: string): string {
  const columns = STATUS_TABLE_COLUMNS.map((c) => `  ${quoteIdentifier(c)} ${COLUMN_TYPES[c]}`);
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (`,
    [...columns, '  PRIMARY KEY (`node_id`)', '  KEY `by_form_uid` (`form`, `uid`)'].join(',\n'),
    ')',
  ].join('\n');
}

export function mysqlStatusTable(options: MysqlStatusTableOptions): StatusTableStore {
  const database = mysqlUrlDatabase(options.url);
  const table = `${quoteIdentifier(database)}.${quoteIdentifier(options.table)}`;
  const label = `source '${options.source}' table '${database}.${options.table}'`;
  let open: Promise<{ connection: MysqlConnection; mariadb: boolean }> | undefined;

  const connection = () => {
    open ??= (async () => {
      const connection = await connectMysql(options.url, { ssl: options.ssl, source: options.source });
      const [rows] = await connection.query('SELECT VERSION() AS version');
      const version = String((rows as { version: string }[])[0]?.version ?? '');
      return { connection, mariadb: /mariadb/i.test(version) };
    })();
    return open;
  };
  // Runs a statement; a lost connection is dropped so that the next try opens a new one.
  const run = async (sql: string, values?: unknown[]) => {
    const { connection: c } = await connection().catch((error: unknown) => {
      open = undefined;
      throw error;
    });
    try {
      return await c.query(sql, values);
    } catch (error) {
      if (!(error as { sqlState?: string }).sqlState || (error as { fatal?: boolean }).fatal) {
        open = undefined;
        c.core.destroy();
      }
      throw privilegeError(error, options, table) ?? error;
    }
  };

  return {
    label,
    async prepare() {
      const columns = async () => {
        const [rows] = await run(
          'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
          [database, options.table],
        );
        return new Set((rows as { name: string }[]).map((r) => r.name.toLowerCase()));
      };
      // Created only when missing: a user given the table but not CREATE must not need it.
      let have = await columns();
      if (have.size === 0) {
        await run(mysqlStatusTableDdl(table));
        have = await columns();
      }
      const shape = missingColumnsError(label, have);
      if (shape) throw shape;
    },
    async rows(forms) {
      if (forms.length === 0) return new Map();
      const [rows] = await run(
        `SELECT node_id, FLOOR(UNIX_TIMESTAMP(updated_at) * 1000) AS ms FROM ${table} WHERE form IN (?)`,
        [forms],
      );
      return new Map(
        (rows as { node_id: string; ms: string | number }[]).map((r) => [r.node_id, Number(r.ms)]),
      );
    },
    async upsert(rows) {
      if (rows.length === 0) return;
      const { mariadb } = await connection();
      const placeholders = rows
        .map(
          () =>
            '(?, ?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(? / 1000), ?, ?, FROM_UNIXTIME(? / 1000), FROM_UNIXTIME(? / 1000))',
        )
        .join(', ');
      const incoming = (c: string) =>
        mariadb ? `VALUES(${quoteIdentifier(c)})` : `incoming.${quoteIdentifier(c)}`;
      // updated_at goes last: MySQL assigns left to right, and the guard must read the row's old updated_at.
      // The row's own columns are qualified: beside MySQL's row alias a bare name is ambiguous.
      const current = (c: string) => `${quoteIdentifier(options.table)}.${quoteIdentifier(c)}`;
      const assignments = STATUS_TABLE_COLUMNS.filter((c) => c !== 'node_id')
        .map(
          (c) =>
            `${current(c)} = IF(${incoming('updated_at')} >= ${current('updated_at')}, ${incoming(c)}, ${current(c)})`,
        )
        .join(', ');
      await run(
        `INSERT INTO ${table} (${STATUS_TABLE_COLUMNS.map(quoteIdentifier).join(', ')}) VALUES ${placeholders}` +
          `${mariadb ? '' : ' AS incoming'} ON DUPLICATE KEY UPDATE ${assignments}`,
        rows.flatMap(statusRowValues),
      );
    },
    async remove(nodeIds) {
      if (nodeIds.length === 0) return;
      await run(`DELETE FROM ${table} WHERE node_id IN (?)`, [nodeIds]);
    },
    async close() {
      const current = open;
      open = undefined;
      if (current) await (await current.catch(() => undefined))?.connection.end().catch(() => undefined);
    },
  };
}

const DENIED = new Set([
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_COLUMNACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
]);

/** A PRIVILEGES error naming the grant to add, for a statement the user may not run. */
function privilegeError(
  error: unknown,
  options: MysqlStatusTableOptions,
  table: string,
): RowkubeError | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !DENIED.has(code)) return undefined;
  const user = decodeURIComponent(new URL(options.url).username);
  return new RowkubeError(
    ErrorCode.PRIVILEGES,
    `source ${options.source}: the user ${user} may not write the status table ${table} (hubs[].status): ` +
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO '${user}'@'<host>' (and CREATE, or create it as docs/status-table.md shows)`,
    false,
    { cause: error },
  );
}
