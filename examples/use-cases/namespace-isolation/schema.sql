-- Namespace isolation per tenant, on MariaDB: the tenant's plan (free, pro or
-- enterprise: its quota and limits) and the group of its own team.
CREATE TABLE tenants (
  tenant_id  VARCHAR(63) PRIMARY KEY,
  plan       VARCHAR(16) NOT NULL DEFAULT 'free',
  team_group VARCHAR(128) NOT NULL,
  active     BOOLEAN NOT NULL DEFAULT TRUE
);

INSERT INTO tenants (tenant_id, plan, team_group) VALUES ('acme', 'pro', 'acme-developers');
INSERT INTO tenants (tenant_id, plan, team_group) VALUES ('globex', 'free', 'globex-team');
