-- Blue-green by a column, on PostgreSQL: one row per tenant, the version each
-- colour runs and the colour that takes the traffic.
CREATE TABLE deployments (
  tenant_id     VARCHAR(63) PRIMARY KEY,
  blue_version  VARCHAR(32) NOT NULL,
  green_version VARCHAR(32) NOT NULL,
  -- A typo ('gren') would select no pod: the database refuses it.
  active_color  VARCHAR(5)  NOT NULL DEFAULT 'blue' CHECK (active_color IN ('blue', 'green'))
);

-- PostgreSQL publishes a table only for its owner: the application creates the
-- publication rowkube reads (rowkube_<source name>).
CREATE PUBLICATION rowkube_appdb FOR TABLE deployments;

INSERT INTO deployments VALUES ('acme', '1.27', '1.27', 'blue');
INSERT INTO deployments VALUES ('globex', '1.26', '1.27', 'green');
