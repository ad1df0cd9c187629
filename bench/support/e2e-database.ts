import mysql from 'mysql2/promise';
import { createTenantsSql, TENANT_COLUMNS, tenantRow, tenantUid } from './e2e-rows.js';

// The application side of the end-to-end bench: one MariaDB connection (the
// admin user, as an application writes) that creates the tenants table,
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

export async function openE2eDatabase(mysqlAdminUrl: string, table: string): Promise<E2eDatabase> {
  const connection = await mysql.createConnection(mysqlAdminUrl);
  // A database restarted by someone else's test ends an idle connection with
  // 'error', which unheard would kill the process; the next query fails instead.
  connection.on('error', () => undefined);
  const insert = `INSERT INTO ${table} (${TENANT_COLUMNS.join(', ')}) VALUES ?`;
  const update = `UPDATE ${table} SET revision = revision + 1 WHERE tenant_id = ?`;
  return {
    table,
    setUp: async () => void (await connection.query(createTenantsSql(table))),
    insertTenants: async (firstId, count, perTransaction) => {
      let firstCommitAtMs = Number.NaN;
      let lastCommitAtMs = Number.NaN;
      let transactions = 0;
      for (let start = firstId; start < firstId + count; start += perTransaction) {
        const size = Math.min(perTransaction, firstId + count - start);
        const rows = Array.from({ length: size }, (_, i) => Object.values(tenantRow(start + i)));
        await connection.beginTransaction();
        try {
          await connection.query(insert, [rows]);
          await connection.commit();
        } catch (error) {
          await connection.rollback().catch(() => undefined);
          throw error;
        }
        lastCommitAtMs = Date.now();
        if (transactions === 0) firstCommitAtMs = lastCommitAtMs;
        transactions++;
      }
      return { transactions, firstCommitAtMs, lastCommitAtMs };
    },
    updateTenant: async (id) => {
      // Autocommit: the statement is its transaction, so it returns after COMMIT.
      const [result] = await connection.query<mysql.ResultSetHeader>(update, [tenantUid(id)]);
      const committedAtMs = Date.now();
      if (result.affectedRows !== 1)
        throw new Error(
          `updating tenant ${tenantUid(id)} in ${table} changed ${result.affectedRows} rows, not 1`,
        );
      return committedAtMs;
    },
    cleanUp: async () => {
      await connection.end().catch(() => undefined);
      // A fresh connection: the writer's may have died with a database restart.
      const fresh = await mysql.createConnection(mysqlAdminUrl);
      fresh.on('error', () => undefined);
      try {
        await fresh.query(`DROP TABLE IF EXISTS ${table}`);
      } finally {
        await fresh.end().catch(() => undefined);
      }
    },
  };
}
