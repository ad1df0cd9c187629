-- A multi-tier stack per tenant, on MariaDB: one row per tenant, a replicas
-- column per tier, the application's version and the database's.
CREATE TABLE tenants (
  tenant_id       VARCHAR(63) PRIMARY KEY,
  app_version     VARCHAR(32) NOT NULL,
  web_replicas    INT NOT NULL DEFAULT 2,
  api_replicas    INT NOT NULL DEFAULT 2,
  worker_replicas INT NOT NULL DEFAULT 1,
  db_version      VARCHAR(16) NOT NULL DEFAULT '16',
  active          BOOLEAN NOT NULL DEFAULT TRUE
);

INSERT INTO tenants (tenant_id, app_version, web_replicas, api_replicas, worker_replicas)
VALUES ('acme', '2.4.0', 2, 2, 1);
INSERT INTO tenants (tenant_id, app_version, web_replicas, api_replicas, worker_replicas)
VALUES ('globex', '2.4.0', 1, 1, 3);
