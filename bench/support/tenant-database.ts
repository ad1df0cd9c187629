import { execOnce, openAdminDatabase } from '../../support/admin-database.js';
import {
  createFlagsSql,
  createTenantsSql,
  FLAG_COLUMNS,
  flagRows,
  TENANT_COLUMNS,
  tenantRow,
} from './tenant-rows.js';

// The processor bench's MariaDB side: a tenants hub table and its feature
// flags, written by the admin user as an application would
// (support/admin-database.ts); capture reads them as `rowkube capture` does.

export interface TenantDatabase {
  readonly table: string;
  readonly flagsTable: string;
  /** Creates both tables. */
  setUp(): Promise<void>;
  /** Tenants firstId … firstId+count-1 and their flags, in one transaction. */
  insertBatch(firstId: number, count: number): Promise<void>;
  /** Updates tenant `id` (its revision), or creates it; resolves when COMMIT returned. */
  insertOne(id: number): Promise<void>;
  /** Closes the writer and drops both tables (on a fresh connection). */
  cleanUp(): Promise<void>;
}

export interface TenantDatabaseOptions {
  tenantsTable: string;
  flagsTable: string;
  /** Every n-th tenant gets flag rows (tenant-rows.ts flagRows). */
  flaggedEvery: number;
}

export async function openTenantDatabase(options: TenantDatabaseOptions): Promise<TenantDatabase> {
  const { tenantsTable, flagsTable, flaggedEvery } = options;
  const db = await openAdminDatabase('mariadb');
  const insertTenants = `INSERT INTO ${tenantsTable} (${TENANT_COLUMNS.join(', ')}) VALUES ?`;
  const insertFlags = `INSERT INTO ${flagsTable} (${FLAG_COLUMNS.join(', ')}) VALUES ?`;
  // An update of an existing tenant that changes what its node renders (the
  // revision is in the pod template), or a new tenant when there is none.
  const upsertTenant = `${insertTenants} ON DUPLICATE KEY UPDATE revision = revision + 1`;
  return {
    table: tenantsTable,
    flagsTable,
    setUp: async () => {
      await db.exec(createTenantsSql(tenantsTable));
      await db.exec(createFlagsSql(flagsTable));
    },
    insertBatch: async (firstId, count) => {
      // A tenant and its flags are created together, as an application would.
      const ids = Array.from({ length: count }, (_, i) => firstId + i);
      const flags = ids.flatMap((id) => flagRows(id, flaggedEvery).map((row) => Object.values(row)));
      await db.transaction(async () => {
        await db.exec(insertTenants, [ids.map((id) => Object.values(tenantRow(id)))]);
        if (flags.length > 0) await db.exec(insertFlags, [flags]);
      });
    },
    insertOne: async (id) => void (await db.exec(upsertTenant, [[Object.values(tenantRow(id))]])),
    cleanUp: async () => {
      await db.close().catch(() => undefined);
      await execOnce('mariadb', `DROP TABLE IF EXISTS ${tenantsTable}, ${flagsTable}`);
    },
  };
}
