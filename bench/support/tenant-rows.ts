// The processor bench's rows: a tenants hub table and a feature_flags lookup
// table, shaped like examples/saas-mariadb.yaml's, so that every node
// renders from real column values (a URL to reduce to a host, a JSON text to
// parse, a revision that changes on every update).

export interface TenantRow {
  tenant_id: string;
  domain: string;
  plan: string;
  replicas: number;
  settings: string;
  revision: number;
  active: number;
}

export interface FlagRow {
  tenant_id: string;
  flag: string;
}

export const TENANT_COLUMNS = [
  'tenant_id',
  'domain',
  'plan',
  'replicas',
  'settings',
  'revision',
  'active',
] as const;
export const FLAG_COLUMNS = ['tenant_id', 'flag'] as const;

/** The flags a flagged tenant gets, in the order the form sorts them. */
export const FLAGS = ['beta', 'sso'] as const;

const PLANS = ['free', 'pro', 'enterprise'];

/** Tenant number → its uid ("t000042"); numbers past 999,999 just get longer. */
export function tenantUid(id: number): string {
  return `t${String(id).padStart(6, '0')}`;
}

/** The inverse of tenantUid; NaN for a uid this bench did not make. */
export function tenantNumber(uid: string): number {
  return /^t\d+$/.test(uid) ? Number(uid.slice(1)) : Number.NaN;
}

export function tenantRow(id: number): TenantRow {
  return {
    tenant_id: tenantUid(id),
    domain: `https://T${id}.Example.com/app`,
    plan: PLANS[id % PLANS.length] as string,
    replicas: 1 + (id % 3),
    settings: JSON.stringify({ requests: { cpu: `${100 + (id % 4) * 50}m`, memory: '128Mi' } }),
    revision: 0,
    active: 1,
  };
}

export function isFlagged(id: number, flaggedEvery: number): boolean {
  return id % flaggedEvery === 0;
}

export function flagRows(id: number, flaggedEvery: number): FlagRow[] {
  return isFlagged(id, flaggedEvery) ? FLAGS.map((flag) => ({ tenant_id: tenantUid(id), flag })) : [];
}

export function createTenantsSql(table: string): string {
  return (
    `CREATE TABLE ${table} (tenant_id VARCHAR(63) PRIMARY KEY, domain VARCHAR(253) NOT NULL, ` +
    'plan VARCHAR(16) NOT NULL, replicas INT NOT NULL, settings VARCHAR(255) NOT NULL, ' +
    'revision INT NOT NULL, active BOOLEAN NOT NULL)'
  );
}

export function createFlagsSql(table: string): string {
  return `CREATE TABLE ${table} (tenant_id VARCHAR(63), flag VARCHAR(63), PRIMARY KEY (tenant_id, flag))`;
}
