import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/load-config.js';
import { deriveRbac } from '../../src/cluster/rbac-rules.js';

// Every example a new user starts from must load: a broken example is the
// first thing they would meet.
const directory = 'examples';
const env = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  MYSQL_URL: 'mysql://cdc:secret@127.0.0.1:3306/app',
  PG_URL: 'postgres://cdc:secret@127.0.0.1:5432/app',
  // examples/secure-estate.yaml: the secured variants, as `deploy/local/stack env` names them.
  KAFKA_SECURE_BROKERS: '127.0.0.1:9094',
  KAFKA_SASL_USERNAME: 'rowkube',
  KAFKA_SASL_PASSWORD: 'secret',
  MYSQL_TLS_URL: 'mysql://cdc_tls:secret@127.0.0.1:3306/app',
  SCHEMA_REGISTRY_TLS_URL: 'https://127.0.0.1:8443/apis/ccompat/v7',
  SCHEMA_REGISTRY_USERNAME: 'rowkube',
  SCHEMA_REGISTRY_PASSWORD: 'secret',
  STACK_CA_PEM: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
};

describe('examples', () => {
  const files = readdirSync(directory).filter((file) => file.endsWith('.yaml'));

  it('has the SaaS tenant stack for both databases, and on a secured estate', () => {
    expect(files).toEqual(
      expect.arrayContaining(['saas-mariadb.yaml', 'saas-postgres.yaml', 'secure-estate.yaml']),
    );
  });

  it.each(files)('%s is a valid configuration', (file) => {
    const config = loadConfig(join(directory, file), env);
    expect(config.sources.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: rowkube rbac knows every kind its forms create', (file) => {
    expect(deriveRbac(loadConfig(join(directory, file), env)).warnings).toEqual([]);
  });
});
