-- A single active worker per tenant, on PostgreSQL: the worker's version, and
-- whether the tenant is active.
CREATE TABLE tenants (
  tenant_id      VARCHAR(63) PRIMARY KEY,
  worker_version VARCHAR(32) NOT NULL,
  active         BOOLEAN NOT NULL DEFAULT TRUE
);

-- PostgreSQL publishes a table only for its owner: the application creates the
-- publication rowkube reads (rowkube_<source name>).
CREATE PUBLICATION rowkube_appdb FOR TABLE tenants;

INSERT INTO tenants VALUES ('acme', '1.4.0', TRUE);
INSERT INTO tenants VALUES ('globex', '1.4.0', TRUE);
