import { defaultPostgresName } from '../../connectors/registry.js';
import { type DatabaseKind, execOnce, openAdminDatabase } from '../../support/admin-database.js';
import { createTenantsSql, type E2eTenantRow, TENANT_COLUMNS, tenantRow } from './e2e-rows.js';
import { tenantUid } from './tenant-rows.js';

// The application side of the end-to-end bench: one MariaDB or PostgreSQL
// connection (the admin user, support/admin-database.ts) that creates the tenants table,
// inserts tenants in large transactions and updates one tenant at a time.
// Every COMMIT time is taken with Date.now() right after COMMIT returned: the
// sink's audit events carry appliedAtMs by the same clock (the sink runs in
// this process), while the binlog's own commit time has whole seconds only.

export interface BulkInsertResult {
  transactions: number;
  /** Date.now() when the first transaction's COMMIT returned. */
  firstCommitAtMs: number;
  /** Date.now() when the last transaction's COMMIT returned. */
  lastCommitAtMs: number;
}

export interface E2eDatabase {
  readonly table: string;
  readonly kind: DatabaseKind;
  /** The capture user's URL, for rowkube's configuration. */
  readonly captureUrl: string;
  setUp(): Promise<void>;
  /** Tenants firstId … firstId+count-1, `perTransaction` in each transaction (one multi-row INSERT each). */
  insertTenants(firstId: number, count: number, perTransaction: number): Promise<BulkInsertResult>;
  /** Bumps one tenant's revision in a transaction of its own: Date.now() before the UPDATE and after COMMIT returned. */
  updateTenant(id: number): Promise<{ startedAtMs: number; committedAtMs: number }>;
  /** Closes the writer and drops the table (on a fresh connection). */
  cleanUp(): Promise<void>;
}

/**
 * The bench's tenants table in a database of the stack. `source` names the
 * PostgreSQL slot and publication (the registry's defaults for that source
 * name); MariaDB and MySQL need none.
 */
export async function openE2eDatabase(
  table: string,
  kind: DatabaseKind = 'mariadb',
  source = table,
): Promise<E2eDatabase> {
  const db = await openAdminDatabase(kind);
  const pg = kind === 'postgres';
  const slot = defaultPostgresName(source);
  // PostgreSQL: unnest() keeps one statement per transaction without its limit of 65,535 bind parameters.
  const insert = pg
    ? `INSERT INTO ${table} (${TENANT_COLUMNS.join(', ')}) SELECT * FROM unnest(` +
      `${TENANT_COLUMNS.map((c, i) => `$${i + 1}::${PG_ARRAY_TYPES[c]}`).join(', ')})`
    : `INSERT INTO ${table} (${TENANT_COLUMNS.join(', ')}) VALUES ?`;
  const insertParams = (rows: E2eTenantRow[]): unknown[] =>
    pg
      ? TENANT_COLUMNS.map((c) => rows.map((r) => (c === 'active' ? r.active === 1 : r[c])))
      : [rows.map((r) => Object.values(r))];
  const update = `UPDATE ${table} SET revision = revision + 1 WHERE tenant_id = ${pg ? '$1' : '?'}`;
  return {
    table,
    kind,
    captureUrl: db.captureUrl,
    setUp: async () => {
      await db.exec(createTenantsSql(table));
      // The table owner publishes the table: the capture user (REPLICATION, read-only) may not.
      if (pg) await db.exec(`CREATE PUBLICATION ${slot} FOR TABLE ${table}`);
    },
    insertTenants: async (firstId, count, perTransaction) => {
      let firstCommitAtMs = Number.NaN;
      let lastCommitAtMs = Number.NaN;
      let transactions = 0;
      for (let start = firstId; start < firstId + count; start += perTransaction) {
        const size = Math.min(perTransaction, firstId + count - start);
        const rows = Array.from({ length: size }, (_, i) => tenantRow(start + i));
        await db.transaction(async () => void (await db.exec(insert, insertParams(rows))));
        lastCommitAtMs = Date.now();
        if (transactions === 0) firstCommitAtMs = lastCommitAtMs;
        transactions++;
      }
      return { transactions, firstCommitAtMs, lastCommitAtMs };
    },
    updateTenant: async (id) => {
      // The writer's clock before the statement: the latency includes the database's own commit.
      const startedAtMs = Date.now();
      // Autocommit: the statement is its transaction, so it returns after COMMIT.
      const changed = await db.exec(update, [tenantUid(id)]);
      const committedAtMs = Date.now();
      if (changed !== 1)
        throw new Error(`updating tenant ${tenantUid(id)} in ${table} changed ${changed} rows, not 1`);
      return { startedAtMs, committedAtMs };
    },
    cleanUp: async () => {
      await db.close().catch(() => undefined);
      // A PostgreSQL slot pins WAL for as long as it exists, and the server has few: never leave one behind.
      const statements = pg
        ? [
            `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${slot}'`,
            `DROP PUBLICATION IF EXISTS ${slot}`,
          ]
        : [];
      await execOnce(kind, ...statements, `DROP TABLE IF EXISTS ${table}`);
    },
  };
}

/** PostgreSQL array types of the columns, for unnest(). */
const PG_ARRAY_TYPES: Record<(typeof TENANT_COLUMNS)[number], string> = {
  tenant_id: 'varchar[]',
  domain: 'varchar[]',
  plan: 'varchar[]',
  password: 'varchar[]',
  revision: 'int[]',
  active: 'boolean[]',
};
