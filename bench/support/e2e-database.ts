import { execOnce, openAdminDatabase } from '../../support/admin-database.js';
import { createTenantsSql, TENANT_COLUMNS, tenantRow } from './e2e-rows.js';
import { tenantUid } from './tenant-rows.js';

// The application side of the end-to-end bench: one MariaDB connection (the
// admin user, support/admin-database.ts) that creates the tenants table,
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
  setUp(): Promise<void>;
  /** Tenants firstId … firstId+count-1, `perTransaction` in each transaction (one multi-row INSERT each). */
  insertTenants(firstId: number, count: number, perTransaction: number): Promise<BulkInsertResult>;
  /** Bumps one tenant's revision in a transaction of its own; resolves with Date.now() after COMMIT returned. */
  updateTenant(id: number): Promise<number>;
  /** Closes the writer and drops the table (on a fresh connection). */
  cleanUp(): Promise<void>;
}

export async function openE2eDatabase(table: string): Promise<E2eDatabase> {
  const db = await openAdminDatabase('mariadb');
  const insert = `INSERT INTO ${table} (${TENANT_COLUMNS.join(', ')}) VALUES ?`;
  const update = `UPDATE ${table} SET revision = revision + 1 WHERE tenant_id = ?`;
  return {
    table,
    setUp: async () => void (await db.exec(createTenantsSql(table))),
    insertTenants: async (firstId, count, perTransaction) => {
      let firstCommitAtMs = Number.NaN;
      let lastCommitAtMs = Number.NaN;
      let transactions = 0;
      for (let start = firstId; start < firstId + count; start += perTransaction) {
        const size = Math.min(perTransaction, firstId + count - start);
        const rows = Array.from({ length: size }, (_, i) => Object.values(tenantRow(start + i)));
        await db.transaction(async () => void (await db.exec(insert, [rows])));
        lastCommitAtMs = Date.now();
        if (transactions === 0) firstCommitAtMs = lastCommitAtMs;
        transactions++;
      }
      return { transactions, firstCommitAtMs, lastCommitAtMs };
    },
    updateTenant: async (id) => {
      // Autocommit: the statement is its transaction, so it returns after COMMIT.
      const changed = await db.exec(update, [tenantUid(id)]);
      const committedAtMs = Date.now();
      if (changed !== 1)
        throw new Error(`updating tenant ${tenantUid(id)} in ${table} changed ${changed} rows, not 1`);
      return committedAtMs;
    },
    cleanUp: async () => {
      await db.close().catch(() => undefined);
      await execOnce('mariadb', `DROP TABLE IF EXISTS ${table}`);
    },
  };
}
