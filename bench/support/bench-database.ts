import type { Logger } from 'pino';
import { runMysqlCapture } from '../../connectors/mysql/index.js';
import { runPostgresCapture } from '../../connectors/postgres/index.js';
import type { ChangeSink, SourcePosition } from '../../src/core/change-event.js';
import {
  type AdminDatabase,
  type DatabaseKind,
  execOnce,
  openAdminDatabase,
} from '../../support/admin-database.js';
import { benchRow, COLUMNS, createTableSql } from './bench-rows.js';

// One database under test: an application-like writer (the admin user,
// support/admin-database.ts) and the connector, started on its own with the
// capture user: the capture bench measures inside capture, around a counting
// sink (capture-run.ts), which the pipeline assembly does not let in.

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

export async function openBenchDatabase(kind: DatabaseKind, names: BenchNames): Promise<BenchDatabase> {
  const db = await openAdminDatabase(kind);
  return kind === 'mariadb' ? mariadb(db, names) : postgres(db, names);
}

function mariadb(db: AdminDatabase, { table, source }: BenchNames): BenchDatabase {
  const insert = `INSERT INTO ${table} (${COLUMNS.join(', ')}) VALUES ?`;
  return {
    kind: 'mariadb',
    table,
    setUp: async () => void (await db.exec(createTableSql(table))),
    insertBatch: async (firstId, count) => {
      // mysql2 expands `VALUES ?` into one multi-row statement; with autocommit it is one transaction.
      const rows = Array.from({ length: count }, (_, i) => Object.values(benchRow(firstId + i)));
      await db.exec(insert, [rows]);
    },
    insertOne: async (id) => void (await db.exec(insert, [[Object.values(benchRow(id))]])),
    capture: ({ sink, loadOffset, signal, logger }) =>
      runMysqlCapture({
        name: source,
        url: db.captureUrl,
        tables: [table],
        sink,
        loadOffset,
        logger,
        signal,
      }),
    cleanUp: async () => {
      await db.close().catch(() => undefined);
      await execOnce('mariadb', `DROP TABLE IF EXISTS ${table}`);
    },
  };
}

function postgres(db: AdminDatabase, { table, source }: BenchNames): BenchDatabase {
  // As capture names them by default.
  const slot = `rowkube_${source}`;
  const publication = `rowkube_${source}`;
  // unnest() keeps one statement (and one round trip) per transaction whatever
  // its size, without PostgreSQL's limit of 65,535 bind parameters.
  const insert =
    `INSERT INTO ${table} (${COLUMNS.join(', ')}) ` +
    'SELECT * FROM unnest($1::int[], $2::varchar[], $3::varchar[], $4::int[], $5::varchar[])';
  const insertRows = async (firstId: number, count: number) => {
    const rows = Array.from({ length: count }, (_, i) => benchRow(firstId + i));
    await db.exec(insert, [
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
      await db.exec(createTableSql(table));
      // The table owner publishes the table: the capture user (REPLICATION, read-only) may not.
      await db.exec(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
    },
    insertBatch: insertRows,
    insertOne: (id) => insertRows(id, 1),
    capture: ({ sink, loadOffset, signal, logger }) =>
      runPostgresCapture({
        name: source,
        url: db.captureUrl,
        slot,
        publication,
        tables: [table],
        sink,
        loadOffset,
        logger,
        signal,
      }),
    cleanUp: async () => {
      await db.close().catch(() => undefined);
      // The slot pins WAL for as long as it exists, and the server has few: never leave one behind.
      await execOnce(
        'postgres',
        `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${slot}'`,
        `DROP PUBLICATION IF EXISTS ${publication}`,
        `DROP TABLE IF EXISTS ${table}`,
      );
    },
  };
}
