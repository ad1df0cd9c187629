import type { TableSchema } from '../../src/core/change-event.js';

// The rows every phase writes: a tenants-like row of about 130 bytes of data,
// the same on both databases and in the Kafka floor, so that the floor sends
// messages of the size capture sends.

export interface BenchRow {
  id: number;
  tenant: string;
  plan: string;
  replicas: number;
  note: string;
}

export const COLUMNS = ['id', 'tenant', 'plan', 'replicas', 'note'] as const;

const PLANS = ['free', 'pro', 'enterprise'];

export function benchRow(id: number): BenchRow {
  return {
    id,
    tenant: `tenant-${id.toString(36).padStart(8, '0')}`,
    plan: PLANS[id % PLANS.length] as string,
    replicas: 1 + (id % 5),
    note: `row ${id} written by the capture benchmark; about one hundred bytes of text per row.`,
  };
}

/** The same DDL on both databases: INT and VARCHAR mean the same in MariaDB and PostgreSQL. */
export function createTableSql(table: string): string {
  return (
    `CREATE TABLE ${table} (id INT PRIMARY KEY, tenant VARCHAR(32) NOT NULL, plan VARCHAR(16) NOT NULL, ` +
    'replicas INT NOT NULL, note VARCHAR(200))'
  );
}

/** The table as the MariaDB connector describes it: what the floor's messages are encoded with. */
export function benchTableSchema(source: string, database: string, table: string): TableSchema {
  return {
    source,
    database,
    table,
    columns: [
      { name: 'id', kind: 'int', nullable: false, sourceType: 'int(11)' },
      { name: 'tenant', kind: 'string', nullable: false, sourceType: 'varchar(32)' },
      { name: 'plan', kind: 'string', nullable: false, sourceType: 'varchar(16)' },
      { name: 'replicas', kind: 'int', nullable: false, sourceType: 'int(11)' },
      { name: 'note', kind: 'string', nullable: true, sourceType: 'varchar(200)' },
    ],
    primaryKey: ['id'],
  };
}
