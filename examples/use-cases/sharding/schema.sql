-- Sharding on MariaDB: one row per tenant, and the shard (cluster) it lives on.
-- Changing a tenant's shard moves it: rowkube creates it on the new cluster,
-- waits until it is ready there, then removes it from the old one.
CREATE TABLE tenants (
  tenant_id   VARCHAR(63) PRIMARY KEY,
  shard       VARCHAR(63) NOT NULL,
  app_version VARCHAR(32) NOT NULL,
  active      BOOLEAN NOT NULL DEFAULT TRUE
);

INSERT INTO tenants (tenant_id, shard, app_version) VALUES ('acme', 'shard-a', '2.4.0');
INSERT INTO tenants (tenant_id, shard, app_version) VALUES ('globex', 'shard-b', '2.4.0');
INSERT INTO tenants (tenant_id, shard, app_version) VALUES ('initech', 'shard-a', '2.4.0');
