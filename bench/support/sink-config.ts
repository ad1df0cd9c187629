import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/cli/load-config.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';

// The configuration the sink runs with, made the way a user makes one: a YAML
// file read by loadConfig, so defaults and validation are the real ones. One
// hub and one form of three objects per node, all in the benchmark's
// namespace. The records are written straight into `<prefix>.desired`, so
// the source is never connected to; the schema only needs the hub to name one.

export const BENCH_HUB = 'tenants';
export const BENCH_FORM = 'bench';
export const OBJECTS_PER_NODE = 3;

export interface SinkBenchConfigOptions {
  prefix: string;
  kafkaBrokers: readonly string[];
  kubeconfig: string;
  /** Where the sink applies every object; the only namespace it is allowed to write to. */
  namespace: string;
  concurrency: number;
}

export function sinkBenchConfig(options: SinkBenchConfigOptions): RowkubeConfig {
  const dir = mkdtempSync(join(tmpdir(), 'rowkube-sink-bench-'));
  const file = join(dir, 'rowkube.yaml');
  try {
    writeFileSync(file, stringify(configDocument(options)));
    return loadConfig(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function configDocument({
  prefix,
  kafkaBrokers,
  kubeconfig,
  namespace,
  concurrency,
}: SinkBenchConfigOptions) {
  return {
    kafka: { brokers: [...kafkaBrokers], topicPrefix: prefix, clientId: 'rowkube-bench-sink' },
    kubernetes: {
      kubeconfig,
      allowedNamespaces: [namespace],
      concurrency,
      // A drift pass during the run would re-apply nodes and blur the figure.
      driftIntervalSeconds: 0,
    },
    sources: [{ name: 'bench', mysql: { url: 'mysql://unused@localhost/unused' }, tables: [BENCH_HUB] }],
    hubs: [
      {
        name: BENCH_HUB,
        source: 'bench',
        table: BENCH_HUB,
        uid: 'tenant_id',
        values: { domain: 'domain', plan: 'plan', password: 'password' },
      },
    ],
    forms: [{ name: BENCH_FORM, hub: BENCH_HUB, resources: resources(namespace) }],
  };
}

/** A tenant's configuration, credentials and Service: three kinds the sink orders differently. */
function resources(namespace: string) {
  const metadata = (suffix: string) => ({
    name: `{{ uid }}-${suffix}`,
    namespace,
    labels: { 'app.kubernetes.io/name': 'tenant', tenant: '{{ uid }}' },
  });
  return [
    {
      id: 'config',
      manifest: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: metadata('config'),
        data: {
          domain: '{{ domain }}',
          plan: '{{ plan }}',
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
        // Headless and without a selector: the stack's service range is a
        // /24, far too small for a ClusterIP per node, and a selector would
        // make the endpoint-slice controller write an EndpointSlice per
        // Service, load on the API server that would land in whichever
        // phase it happens to overlap.
        spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
    },
  ];
}
