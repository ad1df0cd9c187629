import mysql from 'mysql2/promise';
import { runMysqlCapture } from '../../connectors/mysql/index.js';
import type { BenchDatabase } from './bench-database.js';
import {
  createFlagsSql,
  createTenantsSql,
  FLAG_COLUMNS,
  flagRows,
  TENANT_COLUMNS,
  tenantRow,
} from './tenant-rows.js';

// The processor bench's MariaDB side: a tenants hub table and its feature
// flags, written by the admin user as an application would, and captured
// with the capture user as `rowkube capture` captures them. It is a
// BenchDatabase, so support/capture-run.ts runs its capture as the capture
// bench runs its own.

export interface TenantDatabase extends BenchDatabase {
  readonly flagsTable: string;
}

export interface TenantDatabaseOptions {
  mysqlUrl: string;
  mysqlAdminUrl: string;
  tenantsTable: string;
  flagsTable: string;
  source: string;
  /** Every n-th tenant gets flag rows (tenant-rows.ts flagRows). */
  flaggedEvery: number;
}

export async function openTenantDatabase(options: TenantDatabaseOptions): Promise<TenantDatabase> {
  const { tenantsTable, flagsTable, flaggedEvery } = options;
  const connection = await mysql.createConnection(options.mysqlAdminUrl);
  // A database restarted by someone else's test ends an idle connection with
  // 'error', which unheard would kill the process; the next query fails instead.
  connection.on('error', () => undefined);
  const insertTenants = `INSERT INTO ${tenantsTable} (${TENANT_COLUMNS.join(', ')}) VALUES ?`;
  const insertFlags = `INSERT INTO ${flagsTable} (${FLAG_COLUMNS.join(', ')}) VALUES ?`;
  // An update of an existing tenant that changes what its node renders (the
  // revision is in the pod template), or a new tenant when there is none.
  const upsertTenant = `${insertTenants} ON DUPLICATE KEY UPDATE revision = revision + 1`;
  return {
    kind: 'mariadb',
    table: tenantsTable,
    flagsTable,
    setUp: async () => {
      await connection.query(createTenantsSql(tenantsTable));
      await connection.query(createFlagsSql(flagsTable));
    },
    insertBatch: async (firstId, count) => {
      // A tenant and its flags are created together, as an application would.
      const ids = Array.from({ length: count }, (_, i) => firstId + i);
      const flags = ids.flatMap((id) => flagRows(id, flaggedEvery).map((row) => Object.values(row)));
      await connection.beginTransaction();
      try {
        await connection.query(insertTenants, [ids.map((id) => Object.values(tenantRow(id)))]);
        if (flags.length > 0) await connection.query(insertFlags, [flags]);
        await connection.commit();
      } catch (error) {
        await connection.rollback().catch(() => undefined);
        throw error;
      }
    },
    insertOne: async (id) => void (await connection.query(upsertTenant, [[Object.values(tenantRow(id))]])),
    capture: ({ sink, loadOffset, signal, logger }) =>
      runMysqlCapture({
        name: options.source,
        url: options.mysqlUrl,
        tables: [tenantsTable, flagsTable],
        sink,
        loadOffset,
        logger,
        signal,
      }),
    cleanUp: async () => {
      await connection.end().catch(() => undefined);
      // A fresh connection: the writer's may have died with a database restart.
      const fresh = await mysql.createConnection(options.mysqlAdminUrl);
      fresh.on('error', () => undefined);
      try {
        await fresh.query(`DROP TABLE IF EXISTS ${tenantsTable}, ${flagsTable}`);
      } finally {
        await fresh.end().catch(() => undefined);
      }
    },
  };
}
