import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/cli/load-config.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import { BENCH_HUB } from './sink-config.js';

// The configuration `rowkube run` gets in the end-to-end bench, made the way
// a user makes one: a YAML file read by loadConfig, so defaults and
// validation are the real ones. A MariaDB source with one tenants table, a
// hub on it, and a form of three light objects per tenant (the sink bench's:
// a ConfigMap, a Secret, a headless Service), all in the run's namespace,
// the only one the sink may write to.

export const E2E_FORM = 'e2e';
export const OBJECTS_PER_TENANT = 3;
/** The resource whose object each tenant update changes (its `revision`). */
export const UPDATED_RESOURCE = 'config';

export interface E2eConfigOptions {
  prefix: string;
  kafkaBrokers: readonly string[];
  kubeconfig: string;
  mysqlUrl: string;
  /** Unique per run: the binlog reader id derives from it, and two readers with one id evict each other. */
  source: string;
  table: string;
  namespace: string;
  concurrency: number;
}

export function e2eConfig(options: E2eConfigOptions): RowkubeConfig {
  const dir = mkdtempSync(join(tmpdir(), 'rowkube-e2e-bench-'));
  const file = join(dir, 'rowkube.yaml');
  try {
    writeFileSync(file, stringify(configDocument(options)));
    return loadConfig(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function configDocument(options: E2eConfigOptions) {
  const { prefix, kafkaBrokers, kubeconfig, mysqlUrl, source, table, namespace, concurrency } = options;
  return {
    kafka: { brokers: [...kafkaBrokers], topicPrefix: prefix, clientId: 'rowkube-bench-e2e' },
    kubernetes: {
      kubeconfig,
      allowedNamespaces: [namespace],
      concurrency,
      // A drift pass re-applies every node: it would land in whichever phase
      // it overlaps and blur that phase's figure.
      driftIntervalSeconds: 0,
    },
    sources: [{ name: source, mysql: { url: mysqlUrl }, tables: [table] }],
    hubs: [
      {
        name: BENCH_HUB,
        source,
        table,
        uid: 'tenant_id',
        activate: 'active',
        values: { domain: 'domain', plan: 'plan', password: 'password', revision: 'revision' },
      },
    ],
    forms: [{ name: E2E_FORM, hub: BENCH_HUB, resources: resources(namespace) }],
  };
}

function resources(namespace: string) {
  const metadata = (suffix: string) => ({
    name: `{{ uid }}-${suffix}`,
    namespace,
    labels: { 'app.kubernetes.io/name': 'tenant', tenant: '{{ uid }}' },
  });
  return [
    {
      id: UPDATED_RESOURCE,
      manifest: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: metadata('config'),
        data: {
          domain: '{{ domain }}',
          plan: '{{ plan }}',
          revision: '{{ revision }}',
          'app.properties': 'tenant={{ uid }}\nhost={{ domain }}\nplan={{ plan }}\nlog.level=info\n',
        },
      },
    },
    {
      id: 'credentials',
      manifest: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: metadata('credentials'),
        type: 'Opaque',
        data: { username: '{{ uid | b64enc }}', password: '{{ password | b64enc }}' },
      },
    },
    {
      id: 'service',
      manifest: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: metadata('web'),
        // Headless and without a selector, as in the sink bench: the stack's
        // service range is too small for a ClusterIP per tenant, and a
        // selector would have the endpoint-slice controller write an
        // EndpointSlice per Service during the measured phases.
        spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
    },
  ];
}
