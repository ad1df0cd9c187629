import { defaultPostgresName } from '../../connectors/registry.js';
import {
  type AdminDatabase,
  type DatabaseKind,
  execOnce,
  openAdminDatabase,
} from '../../support/admin-database.js';
import { benchRow, COLUMNS, createTableSql } from './bench-rows.js';

// One database under test, as an application writes to it: the admin user
// (support/admin-database.ts) creates the table and inserts rows. Capture
// reads it as rowkube does, through the pipeline assembly with a
// configuration written for the kind (capture-run.ts); only the SQL of the
// writer differs per database here.

export interface BenchDatabase {
  readonly kind: DatabaseKind;
  readonly table: string;
  /** The capture user's URL, for the source's configuration. */
  readonly captureUrl: string;
  /** What cleanUp drops, for the message that asks for it by hand when it could not. */
  readonly leftovers: string;
  /** Creates the table (PostgreSQL: and its publication, as the table owner). */
  setUp(): Promise<void>;
  /** Rows firstId … firstId+count-1 in one multi-row INSERT, one transaction. */
  insertBatch(firstId: number, count: number): Promise<void>;
  /** One row in its own transaction; resolves when COMMIT returned. */
  insertOne(id: number): Promise<void>;
  /** Drops what setUp created (and the slot); call after capture stopped. Rejects when it could not. */
  cleanUp(): Promise<void>;
}

export interface BenchNames {
  table: string;
  source: string;
}

export async function openBenchDatabase(kind: DatabaseKind, names: BenchNames): Promise<BenchDatabase> {
  const db = await openAdminDatabase(kind);
  return kind === 'postgres' ? postgres(db, names) : mysql(kind, db, names);
}

/** MariaDB and Oracle's MySQL: the same SQL. */
function mysql(kind: 'mariadb' | 'mysql', db: AdminDatabase, { table }: BenchNames): BenchDatabase {
  const insert = `INSERT INTO ${table} (${COLUMNS.join(', ')}) VALUES ?`;
  return {
    kind,
    table,
    captureUrl: db.captureUrl,
    leftovers: `table ${table}`,
    setUp: async () => void (await db.exec(createTableSql(table))),
    insertBatch: async (firstId, count) => {
      // mysql2 expands `VALUES ?` into one multi-row statement; with autocommit it is one transaction.
      const rows = Array.from({ length: count }, (_, i) => Object.values(benchRow(firstId + i)));
      await db.exec(insert, [rows]);
    },
    insertOne: async (id) => void (await db.exec(insert, [[Object.values(benchRow(id))]])),
    cleanUp: async () => {
      await db.close().catch(() => undefined);
      await execOnce(kind, `DROP TABLE IF EXISTS ${table}`);
    },
  };
}

function postgres(db: AdminDatabase, { table, source }: BenchNames): BenchDatabase {
  // The configuration names neither: capture uses the registry's defaults.
  const slot = defaultPostgresName(source);
  const publication = slot;
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
    captureUrl: db.captureUrl,
    leftovers: `table ${table}, publication and replication slot ${slot}`,
    setUp: async () => {
      await db.exec(createTableSql(table));
      // The table owner publishes the table: the capture user (REPLICATION, read-only) may not.
      await db.exec(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
    },
    insertBatch: insertRows,
    insertOne: (id) => insertRows(id, 1),
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
