import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import { type DatabaseKind, sourceKey } from '../../support/admin-database.js';
import { configFrom } from '../../support/config-file.js';

// The configurations bench:apply and bench:e2e run with, made the way a user
// makes one (support/config-file.ts: a YAML file read by loadConfig, so
// defaults and validation are the real ones). Both use one hub and one form
// of three light objects per tenant — a ConfigMap, a Secret and a headless
// Service — all in the run's namespace, the only one the sink may write to.
// (bench:process has its own, heavier form: tenant-config.ts.) bench:capture
// has no hub at all: captureBenchConfig.

export const BENCH_HUB = 'tenants';
/** Objects per node (tenant) of both forms. */
export const OBJECTS_PER_NODE = 3;

/** bench:apply's form: its records are written straight into `<prefix>.desired`. */
export const BENCH_FORM = 'bench';
/** bench:e2e's form: its rows go through capture and the processor. */
export const E2E_FORM = 'e2e';
export const OBJECTS_PER_TENANT = OBJECTS_PER_NODE;
/** The resource whose object each e2e tenant update changes (its `revision`). */
export const UPDATED_RESOURCE = 'config';

interface RunOptions {
  prefix: string;
  kafkaBrokers: readonly string[];
  kubeconfig: string;
  /** Where the sink applies every object; the only namespace it is allowed to write to. */
  namespace: string;
  concurrency: number;
  /** Whether the sink writes `<prefix>.status`; default: unless BENCH_SINK_STATUS=off. */
  status?: boolean;
}

export function sinkBenchConfig(options: RunOptions): RowkubeConfig {
  return configFrom({
    ...runSections(options, 'rowkube-bench-sink'),
    // The records are written straight into `<prefix>.desired`, so the source
    // is never connected to; the schema only needs the hub to name one.
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
    forms: [{ name: BENCH_FORM, hub: BENCH_HUB, resources: resources(options.namespace, false) }],
  });
}

export interface E2eConfigOptions extends RunOptions {
  /** The capture user's URL of the database the source reads (MariaDB unless `kind` says otherwise). */
  mysqlUrl: string;
  /** The source's database kind; default MariaDB. A PostgreSQL source uses the registry's slot and publication names. */
  kind?: DatabaseKind;
  /** Unique per run: the binlog reader id derives from it, and two readers with one id evict each other. */
  source: string;
  table: string;
}

export function e2eConfig(options: E2eConfigOptions): RowkubeConfig {
  return configFrom(e2eConfigDocument(options));
}

/** e2eConfig as the YAML document it is read from, for a caller that adds to it (bench:scale-out's replicas). */
export function e2eConfigDocument(options: E2eConfigOptions) {
  const { source, table } = options;
  return {
    ...runSections(options, 'rowkube-bench-e2e'),
    sources: [
      { name: source, [sourceKey(options.kind ?? 'mariadb')]: { url: options.mysqlUrl }, tables: [table] },
    ],
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
    forms: [{ name: E2E_FORM, hub: BENCH_HUB, resources: resources(options.namespace, true) }],
  };
}

function runSections(options: RunOptions, clientId: string) {
  return {
    kafka: { brokers: [...options.kafkaBrokers], topicPrefix: options.prefix, clientId },
    kubernetes: {
      kubeconfig: options.kubeconfig,
      allowedNamespaces: [options.namespace],
      concurrency: options.concurrency,
      // A drift pass re-applies every node: it would land in whichever phase
      // it overlaps and blur that phase's figure.
      driftIntervalSeconds: 0,
    },
    // BENCH_SINK_STATUS=off: the sink writes no node status, to measure what <prefix>.status costs.
    sink: { status: options.status ?? process.env.BENCH_SINK_STATUS !== 'off' },
  };
}

/** A tenant's configuration, credentials and Service: three kinds the sink orders differently. */
function resources(namespace: string, revision: boolean) {
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
          // e2e: the steady phase's updates bump it, so each changes exactly one object.
          ...(revision ? { revision: '{{ revision }}' } : {}),
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

export interface CaptureConfigOptions {
  kind: DatabaseKind;
  /** The capture user's URL. */
  captureUrl: string;
  kafkaBrokers: readonly string[];
  prefix: string;
  source: string;
  table: string;
  /**
   * Capture over the stack's SASL_SSL listener instead (KAFKA_SECURE_BROKERS,
   * SCRAM, the stack CA), with the secrets as references, as a user writes them.
   */
  secure?: { brokers: readonly string[]; caFile: string; username: string; passwordVariable: string };
}

/**
 * bench:capture's configuration: one source of the kind over one table, with
 * every default (a PostgreSQL source's slot and publication are named by the
 * registry's defaultPostgresName). Capture needs no hub, form or cluster.
 */
export function captureBenchConfig(options: CaptureConfigOptions): RowkubeConfig {
  return configFrom({
    kafka: {
      brokers: [...(options.secure?.brokers ?? options.kafkaBrokers)],
      topicPrefix: options.prefix,
      clientId: 'rowkube-bench-capture',
      ...(options.secure === undefined
        ? {}
        : {
            ssl: { ca: `\${file:${options.secure.caFile}}` },
            sasl: {
              mechanism: 'scram-sha-512',
              username: options.secure.username,
              password: `\${env:${options.secure.passwordVariable}}`,
            },
          }),
    },
    sources: [
      {
        name: options.source,
        [sourceKey(options.kind)]: { url: options.captureUrl },
        tables: [options.table],
      },
    ],
  });
}
