import type { Logger } from 'pino';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import {
  auditTopic,
  decodeNative,
  desiredTopic,
  type Kafka,
  OffsetTracker,
  RecordProducer,
  readCompactedTopic,
  runConsumerStage,
  SchemaRegistry,
  type StageAttempt,
  schemasTopic,
  type TrackedHandler,
} from '../kafka/index.js';
import type { PipelineMetrics } from '../observability/pipeline-metrics.js';
import type { DesiredValue } from '../processor/desired/desired-message.js';
import { applyNode, removeNode } from './apply/apply-node.js';
import { isFinal } from './apply/apply-resource.js';
import type { SinkContext } from './apply/sink-context.js';
import { AuditPublisher } from './audit/audit-publisher.js';
import { Inventory } from './inventory.js';
import type { KubeApi } from './kube/index.js';
import { namespaceMatcher } from './ownership/index.js';
import { type DesiredWork, nodeAuditFor } from './runner/desired-work.js';
import { NodeScheduler } from './runner/node-scheduler.js';
import { RequestLimiter } from './runner/request-limiter.js';

// `rowkube apply`: `<prefix>.desired` → Kubernetes, every action → `<prefix>.audit`.
//
// Records are consumed in a consumer group (instances share the partitions)
// and handed to a scheduler that runs nodes concurrently, one record per node
// at a time, retrying a failing node with backoff while the others flow. An
// offset is committed only when every record before it is fully handled and
// its audit events are acknowledged, so a crash re-applies (idempotently) and
// never loses an action.
//
// At start the sink lists the objects that carry its owner labels (the
// inventory, for pruning) and reads the desired topic whole: nodes whose
// objects exist but whose desired state is gone are removed, and every node is
// re-applied each driftIntervalSeconds to undo changes made by others.

export interface RunSinkOptions {
  config: RowkubeConfig;
  kafka: Kafka;
  kube: KubeApi;
  logger: Logger;
  /** Stops the sink: work in progress stops, handled offsets are committed. */
  signal: AbortSignal;
  /** Called once the inventory is listed and the consumer runs (tests). */
  onReady?: () => void;
  /** How often readiness is looked at first, ms (default 250; it backs off to 2 s). */
  readinessPollMs?: number;
  /** Pause before restarting after a retriable failure. Default 1,000 ms. */
  restartDelayMs?: number;
  /** Where the sink reports its actions (audit events), failures and readiness (component `sink`). */
  metrics?: PipelineMetrics;
}

/** Records read but not handled before the consumer waits: bounds memory, not speed. */
const MAX_IN_FLIGHT = 5_000;
const COMMIT_INTERVAL_MS = 200;

export function sinkGroupId(prefix: string): string {
  return `rowkube-apply-${prefix}`;
}

export async function runSink(options: RunSinkOptions): Promise<void> {
  const { config, kafka, signal, logger, metrics, restartDelayMs } = options;
  const prefix = config.kafka.topicPrefix;
  const { replicationFactor, partitions } = config.kafka;
  await runConsumerStage({
    stage: 'sink',
    kafka,
    signal,
    logger,
    metrics,
    restartDelayMs,
    restarting: 'starting over from the committed offsets',
    topics: [
      { name: schemasTopic(prefix), kind: 'schemas', replicationFactor },
      { name: desiredTopic(prefix), kind: 'desired', partitions, replicationFactor },
      { name: auditTopic(prefix), kind: 'audit', partitions, replicationFactor },
    ],
    open: (attempt) => openSink(options, attempt),
  });
}

/** One attempt's state: audit producer, inventory, desired state, scheduler; and the handler feeding it. */
async function openSink(options: RunSinkOptions, attempt: StageAttempt): Promise<TrackedHandler> {
  const { config, kafka, kube, logger } = options;
  const { signal } = attempt;
  const prefix = config.kafka.topicPrefix;
  const topic = desiredTopic(prefix);
  const groupId = sinkGroupId(prefix);
  const producer = await RecordProducer.open(kafka);
  attempt.onClose(() => producer.close());
  const audit = await AuditPublisher.open(producer, auditTopic(prefix), schemasTopic(prefix));
  const registry = await SchemaRegistry.open({ kafka, prefix });
  const allowed = namespaceMatcher(config.kubernetes.allowedNamespaces);
  const limiter = new RequestLimiter(config.kubernetes.concurrency);
  const context: SinkContext = {
    kube,
    limiter,
    prefix,
    fieldManager: config.kubernetes.fieldManager,
    namespaceAllowed: allowed,
    inventory: new Inventory(),
    appliedHashes: new Map(),
    readinessPollMs: options.readinessPollMs ?? 250,
  };
  const owned = await context.inventory.seed(kube, limiter, prefix, config.forms, context.appliedHashes);

  // The newest desired state of every node: what drift checks re-apply.
  const desired = await readCompactedTopic<DesiredValue>({
    kafka,
    topic,
    resolver: registry,
    signal,
    allowMissing: true,
  });
  const latest = new Map<string, DesiredValue | null>(desired.latest);
  logger.info({ objects: owned, nodes: desired.keys }, 'inventory listed and desired state read');

  const handle = async (nodeId: string, work: DesiredWork, nodeSignal: AbortSignal) => {
    const { value } = work;
    const nodeAudit = nodeAuditFor(nodeId, value, config);
    try {
      if (value === null) await removeNode(context, nodeId, nodeAudit);
      else await applyNode(context, value, nodeAudit, { verify: work.verify, signal: nodeSignal });
    } finally {
      // What was done before a failure happened too: it is reported either way.
      await audit.publish(nodeAudit.events);
      options.metrics?.sinkAudited(nodeAudit.events);
    }
  };

  const tracker = new OffsetTracker();
  const nodes = new NodeScheduler<DesiredWork>({
    handle: (work, nodeSignal) => handle(work.nodeId, work.payload, nodeSignal),
    retriable: (error) => !isFinal(error),
    onFailure: (work, error, retryInMs) => {
      const message = error instanceof Error ? error.message : String(error);
      const log = { node: work.nodeId, err: error, retryInMs };
      if (retryInMs === undefined) logger.error(log, 'node failed');
      else logger.warn(log, 'node failed; retrying');
      const nodeAudit = nodeAuditFor(work.nodeId, work.payload.value, config);
      nodeAudit.record('failed', {
        reason: retryInMs === undefined ? message : `${message}; retrying in ${retryInMs} ms`,
        errorCode: (error as { code?: string }).code ?? null,
      });
      audit
        .publish(nodeAudit.events)
        .then(() => options.metrics?.sinkAudited(nodeAudit.events))
        .catch((failure) => logger.warn({ err: failure }, 'audit event lost'));
    },
    onFinished: (work, outcome) => {
      const { record } = work.payload;
      if (record !== undefined && outcome !== 'stopped') tracker.done(record.partition, record.offset);
    },
    retryInitialMs: config.kubernetes.retry.initialSeconds * 1_000,
    retryMaxMs: config.kubernetes.retry.maxSeconds * 1_000,
    signal,
  });

  // Objects of nodes whose desired state is gone (a tombstone compacted away
  // while the sink was down). An empty desired topic more likely means a
  // wrong prefix or a topic deleted by hand than "delete everything".
  const gone = context.inventory.nodes().filter((nodeId) => (latest.get(nodeId) ?? null) === null);
  if (desired.keys === 0 && gone.length > 0)
    logger.warn(
      { nodes: gone.length, topic },
      'the desired topic is empty: objects of this prefix are left alone',
    );
  else for (const nodeId of gone) nodes.submit({ nodeId, payload: { value: null, verify: false } });

  let driftTimer: NodeJS.Timeout | undefined;
  return {
    commits: 'tracked',
    // A crashed instance's partitions move on after 10 s, not kafkajs's 30 s.
    group: { groupId, topics: [topic], sessionTimeoutMs: 10_000 },
    tracker,
    commitIntervalMs: COMMIT_INTERVAL_MS,
    maxInFlight: MAX_IN_FLIGHT,
    onRecord: async (record) => {
      const { key, value } = await decodeNative(record, registry);
      const nodeId = String(key);
      latest.set(nodeId, value as DesiredValue | null);
      nodes.submit({
        nodeId,
        payload: {
          value: value as DesiredValue | null,
          record: { partition: record.partition, offset: record.offset },
          verify: false,
        },
      });
    },
    onRunning: () => {
      const driftMs = config.kubernetes.driftIntervalSeconds * 1_000;
      if (driftMs > 0) {
        driftTimer = setInterval(() => {
          for (const [nodeId, value] of latest) {
            // A node busy with a record is about to be applied anyway.
            if (value !== null && !nodes.isBusy(nodeId))
              nodes.submit({ nodeId, payload: { value, verify: true } });
          }
        }, driftMs);
      }
      options.onReady?.();
      options.metrics?.componentState('sink', true);
      logger.info({ groupId, topic, concurrency: config.kubernetes.concurrency }, 'sink running');
    },
    onStopping: async () => {
      clearInterval(driftTimer);
      await nodes.idle();
    },
  };
}
