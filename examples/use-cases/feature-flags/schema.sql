-- Feature flags, on PostgreSQL. Application flags are rows of feature_flags
-- (a tenant has as many as it needs); the app sees them as environment
-- variables. Infrastructure flags, which add or remove whole components, are
-- columns of infra_flags, one row per tenant (no row: everything off).
CREATE TABLE tenants (
  tenant_id   VARCHAR(63) PRIMARY KEY,
  app_version VARCHAR(32) NOT NULL,
  active      BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE feature_flags (
  tenant_id VARCHAR(63) NOT NULL,
  flag      VARCHAR(63) NOT NULL,
  enabled   BOOLEAN NOT NULL DEFAULT TRUE,
  PRIMARY KEY (tenant_id, flag)
);

CREATE TABLE infra_flags (
  tenant_id       VARCHAR(63) PRIMARY KEY,
  redis_cache     BOOLEAN NOT NULL DEFAULT FALSE,
  redis_memory_mb INT NOT NULL DEFAULT 256
);

-- PostgreSQL publishes a table only for its owner: the application creates the
-- publication rowkube reads (rowkube_<source name>).
CREATE PUBLICATION rowkube_appdb FOR TABLE tenants, feature_flags, infra_flags;

INSERT INTO tenants (tenant_id, app_version) VALUES ('acme', '5.2.0');
INSERT INTO tenants (tenant_id, app_version) VALUES ('globex', '5.2.0');
INSERT INTO feature_flags (tenant_id, flag, enabled) VALUES ('acme', 'new_checkout', TRUE);
INSERT INTO feature_flags (tenant_id, flag, enabled) VALUES ('acme', 'dark_mode', FALSE);
INSERT INTO feature_flags (tenant_id, flag, enabled) VALUES ('globex', 'dark_mode', TRUE);
INSERT INTO infra_flags (tenant_id, redis_cache, redis_memory_mb) VALUES ('acme', TRUE, 512);
