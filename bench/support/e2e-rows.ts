import { tenantUid } from './tenant-rows.js';

// The end-to-end bench's tenants table: one row per tenant, each becoming a
// ConfigMap, a Secret and a Service. `revision` is what the steady-rate phase
// bumps: it is in the ConfigMap, so each update changes exactly one object.

export interface E2eTenantRow {
  tenant_id: string;
  domain: string;
  plan: string;
  password: string;
  revision: number;
  active: number;
}

export const TENANT_COLUMNS = ['tenant_id', 'domain', 'plan', 'password', 'revision', 'active'] as const;

const PLANS = ['free', 'team', 'enterprise'];

export function tenantRow(id: number): E2eTenantRow {
  return {
    tenant_id: tenantUid(id),
    domain: `t${id}.example.com`,
    plan: PLANS[id % PLANS.length] as string,
    password: `pw-${(id * 7919).toString(36)}-${id}`,
    revision: 0,
    active: 1,
  };
}

export function createTenantsSql(table: string): string {
  return (
    `CREATE TABLE ${table} (tenant_id VARCHAR(63) PRIMARY KEY, domain VARCHAR(253) NOT NULL, ` +
    'plan VARCHAR(16) NOT NULL, password VARCHAR(64) NOT NULL, revision INT NOT NULL, active BOOLEAN NOT NULL)'
  );
}
