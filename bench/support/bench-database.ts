import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Logger } from 'pino';
import { runMysqlCapture } from '../../connectors/mysql/index.js';
import { runPostgresCapture } from '../../connectors/postgres/index.js';
import type { ChangeSink, SourcePosition } from '../../src/core/change-event.js';
import type { BenchEnv, DatabaseKind } from './bench-env.js';
import { benchRow, COLUMNS, createTableSql } from './bench-rows.js';

// One database under test: an application-like writer (the admin user, as in
// the integration tests) and the connector, started the way
// src/cli/commands/capture.ts starts it, with the capture user.

export interface CaptureArgs {
  sink: ChangeSink;
  loadOffset: () => Promise<SourcePosition | undefined>;
  signal: AbortSignal;
  logger: Logger;
}

export interface BenchDatabase {
  readonly kind: DatabaseKind;
  readonly table: string;
  /** Creates the table (PostgreSQL: and its publication, as the table owner). */
  setUp(): Promise<void>;
  /** Rows firstId … firstId+count-1 in one multi-row INSERT, one transaction. */
  insertBatch(firstId: number, count: number): Promise<void>;
  /** One row in its own transaction; resolves when COMMIT returned. */
  insertOne(id: number): Promise<void>;
  /** runMysqlCapture / runPostgresCapture until the signal aborts. */
  capture(args: CaptureArgs): Promise<void>;
  /** Drops what setUp created (and the slot); call after capture stopped. Rejects when it could not. */
  cleanUp(): Promise<void>;
}

export interface BenchNames {
  table: string;
  source: string;
}

export async function openBenchDatabase(
  kind: DatabaseKind,
  env: BenchEnv,
  names: BenchNames,
): Promise<BenchDatabase> {
  return kind === 'mariadb' ? openMariadb(env, names) : openPostgres(env, names);
}

async function openMariadb(env: BenchEnv, { table, source }: BenchNames): Promise<BenchDatabase> {
  const connection = await mysql.createConnection(env.mysqlAdminUrl);
  // Another developer's test may restart the database mid-run: an idle
  // connection then emits 'error', which unheard would kill the process
  // before it prints anything. The next query fails instead, and is reported.
  connection.on('error', () => undefined);
  const insert = `INSERT INTO ${table} (${COLUMNS.join(', ')}) VALUES ?`;
  return {
    kind: 'mariadb',
    table,
    setUp: async () => void (await connection.query(createTableSql(table))),
    insertBatch: async (firstId, count) => {
      // mysql2 expands `VALUES ?` into one multi-row statement; with autocommit it is one transaction.
      const rows = Array.from({ length: count }, (_, i) => Object.values(benchRow(firstId + i)));
      await connection.query(insert, [rows]);
    },
    insertOne: async (id) => void (await connection.query(insert, [[Object.values(benchRow(id))]])),
    capture: ({ sink, loadOffset, signal, logger }) =>
      runMysqlCapture({ name: source, url: env.mysqlUrl, tables: [table], sink, loadOffset, logger, signal }),
    cleanUp: async () => {
      await connection.end().catch(() => undefined);
      // A fresh connection: the writer's may have died with a database restart.
      const fresh = await mysql.createConnection(env.mysqlAdminUrl);
      fresh.on('error', () => undefined);
      try {
        await fresh.query(`DROP TABLE IF EXISTS ${table}`);
      } finally {
        await fresh.end().catch(() => undefined);
      }
    },
  };
}

async function openPostgres(env: BenchEnv, { table, source }: BenchNames): Promise<BenchDatabase> {
  const client = new pg.Client({ connectionString: env.pgAdminUrl });
  client.on('error', () => undefined); // as for MariaDB above
  await client.connect();
  // As capture.ts names them by default.
  const slot = `rowkube_${source}`;
  const publication = `rowkube_${source}`;
  // unnest() keeps one statement (and one round trip) per transaction whatever
  // its size, without PostgreSQL's limit of 65,535 bind parameters.
  const insert =
    `INSERT INTO ${table} (${COLUMNS.join(', ')}) ` +
    'SELECT * FROM unnest($1::int[], $2::varchar[], $3::varchar[], $4::int[], $5::varchar[])';
  const insertRows = async (firstId: number, count: number) => {
    const rows = Array.from({ length: count }, (_, i) => benchRow(firstId + i));
    await client.query(insert, [
      rows.map((r) => r.id),
      rows.map((r) => r.tenant),
      rows.map((r) => r.plan),
      rows.map((r) => r.replicas),
      rows.map((r) => r.note),
    ]);
  };
  return {
    kind: 'postgres',
    table,
    setUp: async () => {
      await client.query(createTableSql(table));
      // The table owner publishes the table: the capture user (REPLICATION, read-only) may not.
      await client.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
    },
    insertBatch: insertRows,
    insertOne: (id) => insertRows(id, 1),
    capture: ({ sink, loadOffset, signal, logger }) =>
      runPostgresCapture({
        name: source,
        url: env.pgUrl,
        slot,
        publication,
        tables: [table],
        sink,
        loadOffset,
        logger,
        signal,
      }),
    cleanUp: async () => {
      await client.end().catch(() => undefined);
      // A fresh connection: the writer's may have died with a database restart.
      const fresh = new pg.Client({ connectionString: env.pgAdminUrl });
      fresh.on('error', () => undefined);
      await fresh.connect();
      try {
        // The slot pins WAL for as long as it exists, and the server has few: never leave one behind.
        await fresh.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
          [slot],
        );
        await fresh.query(`DROP PUBLICATION IF EXISTS ${publication}`);
        await fresh.query(`DROP TABLE IF EXISTS ${table}`);
      } finally {
        await fresh.end().catch(() => undefined);
      }
    },
  };
}
