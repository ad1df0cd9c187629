import { existsSync, readdirSync } from 'node:fs';
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
  // examples/use-cases/sharding: the two clusters' kubeconfigs.
  SHARD_A_KUBECONFIG: 'shard-a.kubeconfig',
  SHARD_B_KUBECONFIG: 'shard-b.kubeconfig',
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

// examples/use-cases/<pattern>/rowkube.yaml: one folder per pattern of
// docs/use-cases, each with the schema.sql its page runs.
const useCases = join(directory, 'use-cases');
/** What `rowkube rbac` rightly warns about in a use case, by folder: nothing else may come up. */
const expectedRbacWarnings: Record<string, RegExp[]> = {
  // The claim's kind is a custom resource: its plural is asked of the API server.
  'database-per-tenant': [/^PostgreSQLInstance \(database\.example\.org\) is not in the built-in table/],
  // cert-manager's Certificate is a custom resource: its plural is asked of the API server.
  'custom-domains': [/^Certificate \(cert-manager\.io\) is not in the built-in table/],
  // Binding `edit` needs rowkube to hold what `edit` grants.
  'namespace-isolation': [/^RoleBinding: to create RBAC objects/],
};

describe('examples > use cases', () => {
  const patterns = readdirSync(useCases, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

  it('has every pattern of docs/use-cases', () => {
    expect(patterns).toEqual(
      expect.arrayContaining([
        'multi-tier',
        'blue-green',
        'database-per-tenant',
        'single-active',
        'namespace-isolation',
        'custom-domains',
        'feature-flags',
        'clone-and-preview',
        'sharding',
      ]),
    );
  });

  it.each(patterns)('%s has its configuration, its schema.sql and its page', (pattern) => {
    for (const file of [
      join(useCases, pattern, 'rowkube.yaml'),
      join(useCases, pattern, 'schema.sql'),
      join('docs', 'use-cases', `${pattern}.md`),
    ])
      expect(existsSync(file), file).toBe(true);
  });

  it.each(patterns)('%s/rowkube.yaml is a valid configuration', (pattern) => {
    const config = loadConfig(join(useCases, pattern, 'rowkube.yaml'), env);
    expect(config.forms.length).toBeGreaterThan(0);
  });

  it.each(patterns)('%s: rowkube rbac warns only about what the pattern needs', (pattern) => {
    const { warnings } = deriveRbac(loadConfig(join(useCases, pattern, 'rowkube.yaml'), env));
    const expected = expectedRbacWarnings[pattern] ?? [];
    expect(warnings).toHaveLength(expected.length);
    for (const [index, warning] of warnings.entries()) expect(warning).toMatch(expected[index] as RegExp);
  });
});
