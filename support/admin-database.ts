import mysql from 'mysql2/promise';
import pg from 'pg';
import { type StackVariable, stackEnv } from './stack-env.js';
import { waitFor } from './wait-for.js';

// The application side of the local stack's databases: a connection as the
// user that creates tables and writes rows (the admin user), while rowkube
// reads as its capture user. Tests, benchmarks and the demo write through it.

/**
 * The databases of the local stack: MariaDB, Oracle's MySQL and PostgreSQL.
 * rowkube's configuration calls the source of both MariaDB and MySQL `mysql`.
 */
export type DatabaseKind = 'mariadb' | 'mysql' | 'postgres';

/** The key of a source's database section in rowkube's configuration. */
export function sourceKey(kind: DatabaseKind): 'mysql' | 'postgres' {
  return kind === 'postgres' ? 'postgres' : 'mysql';
}

/** The stack's variables for each kind: the capture user's URL, then the admin's. */
const URL_VARIABLES = {
  mariadb: ['MYSQL_URL', 'MYSQL_ADMIN_URL'],
  mysql: ['ORACLE_MYSQL_URL', 'ORACLE_MYSQL_ADMIN_URL'],
  postgres: ['PG_URL', 'PG_ADMIN_URL'],
} as const satisfies Record<DatabaseKind, readonly [StackVariable, StackVariable]>;

export interface AdminDatabase {
  kind: DatabaseKind;
  /** The capture user's URL, for rowkube's configuration. */
  captureUrl: string;
  /**
   * Runs one statement; resolves with the rows it changed. Parameters are
   * the driver's: `?` for MariaDB and MySQL (an array of rows expands `VALUES ?`), `$1`… for PostgreSQL.
   */
  exec(sql: string, params?: unknown[]): Promise<number>;
  /** Runs one query; resolves with its rows, as the driver gives them. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Runs `body` in one transaction: committed when it resolves, rolled back when it rejects. */
  transaction(body: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects as the application user, who creates tables and writes rows.
 * options.database: another database of the same server than the stack's
 * own (both URLs, the admin's and the capture user's, then name it).
 */
export async function openAdminDatabase(
  kind: DatabaseKind,
  options: { database?: string } = {},
): Promise<AdminDatabase> {
  const [captureVariable, adminVariable] = URL_VARIABLES[kind];
  const env = stackEnv({ needs: URL_VARIABLES[kind] });
  const adminUrl = withDatabase(env.urls[adminVariable], options.database);
  const exec = kind === 'postgres' ? await postgresExec(adminUrl) : await mysqlExec(adminUrl);
  return {
    kind,
    captureUrl: withDatabase(env.urls[captureVariable], options.database),
    exec: exec.run,
    query: exec.query,
    transaction: async (body) => {
      await exec.run('BEGIN');
      try {
        await body();
        await exec.run('COMMIT');
      } catch (error) {
        await exec.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    close: exec.close,
  };
}

/** `url` with its path (the database) replaced by `database`, when one is given. */
export function withDatabase(url: string, database: string | undefined): string {
  if (database === undefined) return url;
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Runs `statements` on a fresh connection, then closes it: for clean-up,
 * since the writer's connection may have died with a database restart.
 */
export async function execOnce(kind: DatabaseKind, ...statements: string[]): Promise<void> {
  const db = await openAdminDatabase(kind);
  try {
    for (const sql of statements) await db.exec(sql);
  } finally {
    await db.close().catch(() => undefined);
  }
}

/**
 * Drops a PostgreSQL replication slot (if it exists), retrying for up to 10 s:
 * the walsender may hold the slot for a moment after the capture process exited.
 */
export async function dropReplicationSlot(slot: string): Promise<void> {
  await waitFor(
    `slot ${slot} to be dropped`,
    async () => {
      await execOnce(
        'postgres',
        `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${slot}'`,
      );
      return true;
    },
    { timeoutMs: 10_000, intervalMs: 250 },
  );
}

interface Exec {
  run(sql: string, params?: unknown[]): Promise<number>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function mysqlExec(url: string): Promise<Exec> {
  const connection = await mysql.createConnection(url);
  // A database restarted by someone else's test ends an idle connection with
  // 'error', which unheard would kill the process; the next query fails instead.
  connection.on('error', () => undefined);
  return {
    run: async (sql, params) => {
      const [result] = await connection.query(sql, params);
      return (result as Partial<mysql.ResultSetHeader>).affectedRows ?? 0;
    },
    query: async (sql) => (await connection.query(sql))[0] as Record<string, unknown>[],
    close: () => connection.end(),
  };
}

async function postgresExec(url: string): Promise<Exec> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // as for MariaDB/MySQL above
  await client.connect();
  return {
    run: async (sql, params) => (await client.query(sql, params)).rowCount ?? 0,
    query: async (sql) => (await client.query(sql)).rows as Record<string, unknown>[],
    close: () => client.end(),
  };
}
