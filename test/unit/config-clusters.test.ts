import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/cli/load-config.js';
import { ConfigError } from '../../src/core/config/load-config.js';

// kubernetes.clusters and forms[].cluster, checked at load: a form may pick
// only configured clusters, and one that picks none needs a `default` cluster.
function configWith(kubernetes: string, cluster: string | undefined): string {
  return `
kafka: { brokers: [127.0.0.1:9092] }
kubernetes: ${kubernetes}
sources:
  - name: appdb
    mysql: { url: "mysql://cdc:pw@127.0.0.1:3306/app" }
    tables: [tenants]
hubs:
  - { name: tenants, source: appdb, table: tenants, uid: tenant_id, values: { shard: shard } }
forms:
  - name: web
    hub: tenants
${cluster === undefined ? '' : `    cluster: ${JSON.stringify(cluster)}\n`}    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "tenant-{{ uid }}" } }
`;
}

const two =
  '{ clusters: { eu-1: { kubeconfig: /k/eu-1 }, eu-2: { kubeconfig: /k/eu-2, allowedNamespaces: ["tenant-*"] } } }';

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'rowkube.yaml', {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('Config > clusters', () => {
  it('reads clusters with their own allowedNamespaces, and a form picking one by a template', () => {
    const config = parseConfig(configWith(two, '{{ shard }}'), 'rowkube.yaml', {});
    expect(config.kubernetes.clusters).toEqual({
      'eu-1': { kubeconfig: '/k/eu-1' },
      'eu-2': { kubeconfig: '/k/eu-2', allowedNamespaces: ['tenant-*'] },
    });
    expect(config.forms[0]?.cluster).toBe('{{ shard }}');
  });

  it('leaves a configuration without clusters as it was (no clusters key, no form cluster)', () => {
    const config = parseConfig(configWith('{}', undefined), 'rowkube.yaml', {});
    expect(config.kubernetes.clusters).toBeUndefined();
    expect(config.forms[0]?.cluster).toBeUndefined();
  });

  it('refuses a form cluster without kubernetes.clusters, saying what to add', () => {
    expect(problemsOf(configWith('{}', '{{ shard }}'))).toEqual([
      expect.stringMatching(
        /^forms\[0\]\.cluster: .*kubernetes\.clusters names none; add kubernetes\.clusters/,
      ),
    ]);
  });

  it('refuses a form without a cluster when no cluster is named default', () => {
    expect(problemsOf(configWith(two, undefined))).toEqual([
      expect.stringMatching(/^forms\[0\]: form 'web' sets no cluster.*clusters: eu-1, eu-2.*named 'default'/),
    ]);
  });

  it('accepts a form without a cluster when one is named default', () => {
    expect(problemsOf(configWith('{ clusters: { default: { kubeconfig: /k/a } } }', undefined))).toEqual([]);
  });

  it('refuses a literal cluster name that is not configured, listing the clusters', () => {
    expect(problemsOf(configWith(two, 'eu-3'))).toEqual([
      expect.stringMatching(/^forms\[0\]\.cluster: .*'eu-3'.*clusters: eu-1, eu-2/),
    ]);
  });

  it('refuses a cluster template that does not parse', () => {
    expect(problemsOf(configWith(two, '{{ shard '))).toEqual([
      expect.stringMatching(/^forms\[0\]\.cluster: /),
    ]);
  });

  it('refuses a cluster name that is no DNS label, and an empty map', () => {
    expect(problemsOf(configWith('{ clusters: { EU_1: { kubeconfig: /k } } }', 'EU_1'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/kubernetes\.clusters\.EU_1: .*no DNS label/)]),
    );
    expect(problemsOf(configWith('{ clusters: {} }', undefined))).toEqual(
      expect.arrayContaining([expect.stringMatching(/kubernetes\.clusters: name at least one cluster/)]),
    );
  });

  it('loads examples/use-cases/sharding with its two clusters from the environment', () => {
    const config = loadConfig('examples/use-cases/sharding/rowkube.yaml', {
      KAFKA_BROKERS: '127.0.0.1:9092',
      MYSQL_URL: 'mysql://cdc:secret@127.0.0.1:3306/app',
      SHARD_A_KUBECONFIG: '/k/a',
      SHARD_B_KUBECONFIG: '/k/b',
    });
    expect(Object.keys(config.kubernetes.clusters ?? {})).toEqual(['shard-a', 'shard-b']);
    expect(config.forms[0]?.cluster).toBe('{{ shard }}');
  });
});
