-- Clone an environment, and preview environments that expire, on MariaDB.
-- An environment is a row of `environments` plus its settings in
-- `env_settings`; a clone copies both under a new id (see clone.sql). A
-- preview has an expiry time: at that time rowkube removes it, whether or
-- not anything else changes. NULL: never expires.
-- TIMESTAMP is an instant (stored in UTC whatever the session's time zone),
-- so NOW() + INTERVAL … means the same moment to the database and to rowkube.
CREATE TABLE environments (
  env_id      VARCHAR(63) PRIMARY KEY,
  app_version VARCHAR(32) NOT NULL,
  replicas    INT NOT NULL DEFAULT 1,
  cloned_from VARCHAR(63) NULL,
  expires_at  TIMESTAMP(3) NULL DEFAULT NULL
);

CREATE TABLE env_settings (
  env_id VARCHAR(63) NOT NULL,
  name   VARCHAR(63) NOT NULL,
  value  VARCHAR(255) NOT NULL,
  PRIMARY KEY (env_id, name)
);

INSERT INTO environments (env_id, app_version, replicas) VALUES ('acme', '7.3.1', 2);
INSERT INTO env_settings (env_id, name, value) VALUES ('acme', 'PAYMENT_PROVIDER', 'stripe');
INSERT INTO env_settings (env_id, name, value) VALUES ('acme', 'LOG_LEVEL', 'info');
