import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { type Pipeline, startPipeline } from '../src/app/start-pipeline.js';
import { loadConfig } from '../src/cli/load-config.js';
import {
  auditTopic,
  type DecodedAuditEvent,
  type DesiredResourceValue,
  type DesiredValue,
  desiredTopic,
  schemasTopic,
  sinkGroupId,
} from '../src/contracts/index.js';
import type { RowkubeConfig } from '../src/core/config/config-schema.js';
import {
  createKafka,
  DESIRED_KEY_SCHEMA,
  DESIRED_VALUE_SCHEMA,
  decodeAudit,
  desiredKeyCodec,
  desiredValueCodec,
  KEY_SCHEMA_HEADER,
  readTopic,
  SchemaPublisher,
  VALUE_SCHEMA_HEADER,
} from '../src/kafka/index.js';
import { type KubeApi, KubeClient } from '../src/sink/kube/index.js';
import { AuditFollower } from './audit-follower.js';
import { writeConfigFile } from './config-file.js';
import { ensureSinkTopics } from './sink-topics.js';
import { stackEnv, uniqueName } from './stack-env.js';
import { waitFor } from './wait-for.js';

// Drives the sink against the real stack: desired records written straight
// into `<prefix>.desired` (as the processor writes them), the sink run in
// process, the cluster read back through the same client, and the audit
// topic decoded.

export const FORM = 'web';
export const HUB = 'tenants';

/** A resource with the form defaults; `manifest` is the object. */
export function resource(
  id: string,
  manifest: object,
  policies: Partial<DesiredResourceValue> = {},
): DesiredResourceValue {
  return {
    id,
    manifest: JSON.stringify(manifest),
    dependIds: [],
    waitForReady: false,
    timeoutSeconds: 300,
    skipOnDependencyFailure: true,
    creationPolicy: 'WhenNeeded',
    deletionPolicy: 'Delete',
    conflictPolicy: 'Stuck',
    targetNamespace: null,
    ignoreFields: [],
    ...policies,
  };
}

export function node(
  uid: string,
  resources: DesiredResourceValue[],
  commitTsMs = BigInt(Date.now()),
): DesiredValue {
  return {
    id: `${FORM}/${uid}`,
    form: FORM,
    hub: HUB,
    uid,
    resources,
    error: null,
    contentHash: `${uid}-${Math.random()}`,
    provenance: {
      source: 'appdb',
      table: 'tenants',
      position: '{"lsn":"0/1"}',
      commitTsMs,
      primaryKey: `{"id":"${uid}"}`,
    },
  };
}

/** A sink replica started by the harness. */
export interface SinkReplica {
  /** Stops it (it leaves the group); rejects with its failure if it had failed. */
  stop(): Promise<void>;
}

export class SinkHarness {
  readonly env = stackEnv();
  readonly prefix = uniqueName('rk');
  readonly namespace = uniqueName('sink').replaceAll('_', '-');
  readonly kafka: Kafka = createKafka({ brokers: this.env.kafkaBrokers, clientId: 'rowkube-test' });
  readonly kube = KubeClient.fromKubeconfigFile(this.env.kubeconfig);
  readonly config: RowkubeConfig;
  /** The config file the harness wrote, for `rowkube apply --config` run as its own process. */
  readonly configPath: string;
  private readonly publisher = new SchemaPublisher(schemasTopic(this.prefix));
  private running: Pipeline | undefined;

  /**
   * `kubernetes` is YAML for the kubernetes section's extra keys, e.g.
   * "driftIntervalSeconds: 2"; `kafka` the kafka section's, e.g. "partitions: 4".
   */
  constructor(kubernetes = '', kafka = '') {
    const path = writeConfigFile(
      `kafka: { brokers: [${this.env.kafkaBrokers.join(', ')}], topicPrefix: ${this.prefix}${kafka === '' ? '' : `, ${kafka}`} }
kubernetes:
  kubeconfig: ${this.env.kubeconfig}
  allowedNamespaces: ["${this.namespace}*"]
  retry: { initialSeconds: 0.2, maxSeconds: 1 }
  ${kubernetes}
sources:
  - name: appdb
    postgres: { url: "postgres://unused@127.0.0.1:1/unused" }
    tables: [tenants]
hubs:
  - { name: ${HUB}, source: appdb, table: tenants, uid: id }
forms:
  - name: ${FORM}
    hub: ${HUB}
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "x" } }
      - id: config
        manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "x" } }
      - id: app
        manifest: { apiVersion: apps/v1, kind: Deployment, metadata: { name: "x" } }
      - id: svc
        manifest: { apiVersion: v1, kind: Service, metadata: { name: "x" } }
`,
    );
    this.configPath = path;
    this.config = loadConfig(path);
  }

  async setUp(): Promise<void> {
    await this.kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } },
      { fieldManager: 'test-setup', force: true },
    );
  }

  async tearDown(): Promise<void> {
    await this.stop();
    const namespaces = await this.kube.list('v1', 'Namespace', '');
    for (const ns of namespaces) {
      const name = ns.metadata.name ?? '';
      if (name.startsWith(this.namespace))
        await this.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name }, { propagation: 'Background' });
    }
    this.kube.close();
  }

  start(): void {
    this.running = startPipeline(this.config, {
      stages: ['apply'],
      kube: this.kube,
      logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
      metrics: false,
      sink: { readinessPollMs: 100, restartDelayMs: 200 },
    });
  }

  /**
   * One more replica of the sink, with a Kubernetes client of its own:
   * replicas share the desired topic's partitions through the sink's group.
   */
  startReplica(): SinkReplica {
    const kube = KubeClient.fromKubeconfigFile(this.env.kubeconfig);
    const running = startPipeline(this.config, {
      stages: ['apply'],
      kube,
      logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
      metrics: false,
      sink: { readinessPollMs: 100, restartDelayMs: 200 },
    });
    return {
      stop: async () => {
        const result = await running.stop();
        kube.close();
        if (result.error !== undefined) throw result.error;
      },
    };
  }

  /** Stops the sink; rejects with its failure if it had failed. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    const result = await running?.stop();
    if (result?.error !== undefined) throw result.error;
  }

  /** Writes desired records (null value: tombstone for that id). */
  async write(records: (DesiredValue | { id: string; value: null })[]): Promise<void> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const schemas = this.publisher.recordsFor([DESIRED_KEY_SCHEMA, DESIRED_VALUE_SCHEMA]);
      if (schemas.length > 0)
        await producer.send({
          topic: schemasTopic(this.prefix),
          messages: schemas.map((s) => ({ key: s.key, value: s.value })),
        });
      await producer.send({
        topic: desiredTopic(this.prefix),
        messages: records.map((record) => {
          const key = desiredKeyCodec.encode(record.id);
          if ('value' in record && record.value === null)
            return { key, value: null, headers: { [KEY_SCHEMA_HEADER]: DESIRED_KEY_SCHEMA.id } };
          return {
            key,
            value: desiredValueCodec.encode(record),
            headers: {
              [KEY_SCHEMA_HEADER]: DESIRED_KEY_SCHEMA.id,
              [VALUE_SCHEMA_HEADER]: DESIRED_VALUE_SCHEMA.id,
            },
          };
        }),
      });
    } finally {
      await producer.disconnect();
    }
  }

  /** Every audit event so far, in order per node. */
  async audit(): Promise<DecodedAuditEvent[]> {
    const events: DecodedAuditEvent[] = [];
    await readTopic({
      kafka: this.kafka,
      topic: auditTopic(this.prefix),
      fromBeginning: true,
      follow: false,
      allowMissing: true,
      onRecord: (record) => {
        if (record.value !== null) events.push(decodeAudit(record.value));
      },
    });
    return events;
  }

  /** Audit actions of one resource of a node, in order. */
  async actions(uid: string, resourceId: string): Promise<string[]> {
    return (await this.events(uid, resourceId)).map((event) => event.action);
  }

  /** Audit events of one node (of one of its resources when given), in order. */
  async events(uid: string, resourceId?: string): Promise<DecodedAuditEvent[]> {
    return (await this.audit()).filter(
      (event) =>
        event.nodeId === `${FORM}/${uid}` && (resourceId === undefined || event.resourceId === resourceId),
    );
  }

  /**
   * Waits for the `count`-th audit event (1 = the first) with `action` for
   * one resource of a node, and returns it. Counting lets a test wait for a
   * later occurrence of an action it has seen before (a drift re-apply).
   */
  async untilEvent(
    uid: string,
    resourceId: string,
    action: string,
    { count = 1, timeoutMs = 30_000 } = {},
  ): Promise<DecodedAuditEvent> {
    return waitFor(
      `audit event #${count} '${action}' of ${FORM}/${uid} ${resourceId}`,
      async () => (await this.events(uid, resourceId)).filter((e) => e.action === action)[count - 1],
      { timeoutMs, intervalMs: 200 },
    );
  }
}

/** The sink's topics, made before any sink runs (sink-topics.ts). */
export function createSinkTopics(harness: SinkHarness): Promise<void> {
  return ensureSinkTopics(harness.kafka, harness.config);
}

/**
 * The sink group's committed offsets of `<prefix>.desired`, per partition: the
 * next record a restarted sink reads. -1n where nothing is committed yet.
 */
export async function committedOffsets(harness: SinkHarness): Promise<Map<number, bigint>> {
  const admin = harness.kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({
      groupId: sinkGroupId(harness.prefix),
      topics: [desiredTopic(harness.prefix)],
    });
    return new Map((topic?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * The audit topic read as it grows, from its start, by one long-lived reader:
 * tests that wait on hundreds of events look at `events` instead of reading
 * the whole topic again for every probe. The topic must exist (createSinkTopics).
 */
export class AuditLog extends AuditFollower {
  constructor(harness: SinkHarness) {
    super(harness.kafka, harness.prefix);
    // A failed read shows as events that never come; stop() reports it.
    this.follow().catch(() => undefined);
  }

  /** Events of one node (of one of its resources when given), in order. */
  of(uid: string, resourceId?: string): DecodedAuditEvent[] {
    return this.events.filter(
      (event) =>
        event.nodeId === `${FORM}/${uid}` && (resourceId === undefined || event.resourceId === resourceId),
    );
  }

  /** Stops reading; throws if reading had failed. */
  stop(): Promise<void> {
    return this.close();
  }
}

/** Deletes the namespaces whose names start with `prefix` (in the background), e.g. a test's objects in the replay cluster. */
export async function deleteNamespaces(kube: KubeApi, prefix: string): Promise<void> {
  for (const object of await kube.list('v1', 'Namespace', ''))
    if (object.metadata.name?.startsWith(prefix))
      await kube.delete(
        { apiVersion: 'v1', kind: 'Namespace', name: object.metadata.name },
        { propagation: 'Background' },
      );
}
