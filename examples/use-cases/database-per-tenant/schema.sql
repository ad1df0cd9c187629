-- A database per tenant, on PostgreSQL: the tenant's plan (which picks the
-- composition), its database's size and version, and its app's version.
CREATE TABLE tenants (
  tenant_id     VARCHAR(63) PRIMARY KEY,
  plan          VARCHAR(16) NOT NULL DEFAULT 'standard',
  db_storage_gb INT NOT NULL DEFAULT 20,
  db_version    VARCHAR(8) NOT NULL DEFAULT '16',
  app_version   VARCHAR(32) NOT NULL,
  active        BOOLEAN NOT NULL DEFAULT TRUE
);

-- PostgreSQL publishes a table only for its owner: the application creates the
-- publication rowkube reads (rowkube_<source name>).
CREATE PUBLICATION rowkube_appdb FOR TABLE tenants;

INSERT INTO tenants (tenant_id, plan, db_storage_gb, app_version) VALUES ('acme', 'standard', 20, '3.1.0');
INSERT INTO tenants (tenant_id, plan, db_storage_gb, app_version) VALUES ('globex', 'dedicated', 100, '3.1.0');
