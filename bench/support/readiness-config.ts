import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import { configFrom } from '../../support/config-file.js';
import { BENCH_HUB } from './bench-config.js';
import { type BenchNode, renderRows } from './sink-nodes.js';

// bench:readiness's form, shaped as Lynq's examples are: per tenant a
// Namespace, a ConfigMap, a Deployment the sink waits for (waitForReady) and
// an Ingress that depends on it, so each Ingress measures a readiness wait.
// The ConfigMap takes conflictPolicy Force: the drift phase edits it as
// another field manager, and Force is what sets such an edit back.

export const READINESS_FORM = 'lynq';
export const OBJECTS_PER_TENANT = 4;

export interface ReadinessConfigOptions {
  prefix: string;
  kafkaBrokers: readonly string[];
  kubeconfig: string;
  /** Tenant namespaces are `<namespacePrefix>-<uid>`. */
  namespacePrefix: string;
  concurrency: number;
}

export function readinessConfig(options: ReadinessConfigOptions): RowkubeConfig {
  const ns = `${options.namespacePrefix}-{{ uid }}`;
  const labels = { app: 'web', tenant: '{{ uid }}' };
  return configFrom({
    kafka: {
      brokers: [...options.kafkaBrokers],
      topicPrefix: options.prefix,
      clientId: 'rowkube-bench-readiness',
    },
    kubernetes: {
      kubeconfig: options.kubeconfig,
      allowedNamespaces: [`${options.namespacePrefix}-*`],
      concurrency: options.concurrency,
      // Off, so that every correction the drift phase times comes from a watch event.
      driftIntervalSeconds: 0,
    },
    sources: [{ name: 'bench', mysql: { url: 'mysql://unused@localhost/unused' }, tables: [BENCH_HUB] }],
    hubs: [
      { name: BENCH_HUB, source: 'bench', table: BENCH_HUB, uid: 'tenant_id', values: { domain: 'domain' } },
    ],
    forms: [
      {
        name: READINESS_FORM,
        hub: BENCH_HUB,
        resources: [
          { id: 'ns', manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } },
          {
            id: 'config',
            conflictPolicy: 'Force',
            manifest: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: 'web-config', namespace: ns },
              data: { domain: '{{ domain }}', mode: 'desired' },
            },
          },
          {
            id: 'app',
            waitForReady: true,
            timeoutSeconds: 600,
            manifest: deployment(ns, labels),
          },
          {
            id: 'ingress',
            dependIds: ['app'],
            manifest: {
              apiVersion: 'networking.k8s.io/v1',
              kind: 'Ingress',
              metadata: { name: 'web', namespace: ns },
              spec: {
                rules: [
                  {
                    host: '{{ domain }}',
                    http: {
                      paths: [
                        {
                          path: '/',
                          pathType: 'Prefix',
                          backend: { service: { name: 'web', port: { number: 80 } } },
                        },
                      ],
                    },
                  },
                ],
              },
            },
          },
        ],
      },
    ],
  });
}

/** The Deployment of a tenant; the floor creates the same one directly. */
export function deployment(namespace: string, labels: Record<string, string>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  };
}

/** `count` tenants, uids r00001…, rendered by the processor's renderNode. */
export function renderReadinessNodes(config: RowkubeConfig, count: number, commitTsMs: number): BenchNode[] {
  const width = Math.max(5, String(count).length);
  const rows = Array.from({ length: count }, (_, index) => ({
    tenant_id: `r${String(index + 1).padStart(width, '0')}`,
    domain: `r${index + 1}.example.com`,
  }));
  return renderRows(config, READINESS_FORM, rows, commitTsMs);
}
