import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { DesiredValue, PipelineMetrics } from '../contracts/index.js';
import { auditTopic, desiredTopic, schemasTopic, sinkGroupId } from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { CrashLatch } from '../core/crash-latch.js';
import { decodeNative, ensureTopics, readTopic, SchemaRegistry } from '../kafka/index.js';
import { runRestarting } from '../kafka/restarting-stage.js';
import { headersToText } from '../kafka/topic-reader.js';
import { AuditPublisher, isFinal, type KubeApi, ResourceManager } from './index.js';
import type { DesiredWork } from './runner/desired-work.js';
import { NodeScheduler } from './runner/node-scheduler.js';
import { OffsetTracker } from './runner/offset-tracker.js';

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

export async function runSink(options: RunSinkOptions): Promise<void> {
  const { signal, logger, metrics, restartDelayMs } = options;
  await runRestarting(
    {
      stage: 'sink',
      signal,
      logger,
      metrics,
      restartDelayMs,
      restarting: 'starting over from the committed offsets',
    },
    () => runOnce(options),
  );
}

async function runOnce(options: RunSinkOptions): Promise<void> {
  const { config, kafka, kube, logger } = options;
  const prefix = config.kafka.topicPrefix;
  const topic = desiredTopic(prefix);
  const groupId = sinkGroupId(prefix);
  const attempt = new AbortController();
  const signal = AbortSignal.any([options.signal, attempt.signal]);
  const admin = kafka.admin();
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  let driftTimer: NodeJS.Timeout | undefined;
  let scheduler: NodeScheduler<DesiredWork> | undefined;
  const tracker = new OffsetTracker();
  const commit = async () => {
    const offsets = tracker.committable();
    if (offsets.size === 0 || consumer === undefined) return;
    await consumer.commitOffsets(
      [...offsets].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() })),
    );
    tracker.markCommitted(offsets);
  };
  try {
    await admin.connect();
    const { replicationFactor, partitions } = config.kafka;
    await ensureTopics(admin, [
      { name: schemasTopic(prefix), kind: 'schemas', replicationFactor },
      { name: topic, kind: 'desired', partitions, replicationFactor },
      { name: auditTopic(prefix), kind: 'audit', partitions, replicationFactor },
    ]);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const audit = await AuditPublisher.open(producer, auditTopic(prefix), schemasTopic(prefix));
    const registry = await SchemaRegistry.open({ kafka, prefix });
    const resources = await ResourceManager.open({ kube, config, readinessPollMs: options.readinessPollMs });
    const owned = resources.objectsFound;

    // The newest desired state of every node: what drift checks re-apply.
    const latest = new Map<string, DesiredValue | null>();
    const decode = async (record: {
      key: Buffer | null;
      value: Buffer | null;
      headers: Record<string, string>;
    }) => {
      const { key, value } = await decodeNative(record, registry);
      return { nodeId: String(key), value: value as DesiredValue | null };
    };
    await readTopic({
      kafka,
      topic,
      fromBeginning: true,
      follow: false,
      allowMissing: true,
      signal,
      onRecord: async (record) => {
        const { nodeId, value } = await decode(record);
        latest.set(nodeId, value);
      },
    });
    logger.info({ objects: owned, nodes: latest.size }, 'inventory listed and desired state read');

    const handle = async (nodeId: string, work: DesiredWork, nodeSignal: AbortSignal) => {
      const { value } = work;
      const changes =
        value === null
          ? await resources.delete(nodeId)
          : await resources.apply(value, { verify: work.verify, signal: nodeSignal });
      // What was done before a failure happened too: it is reported either way.
      await audit.publish(changes.events);
      options.metrics?.sinkAudited(changes.events);
      if (changes.failure !== undefined) throw changes.failure;
    };

    const nodes = new NodeScheduler<DesiredWork>({
      handle: (work, nodeSignal) => handle(work.nodeId, work.payload, nodeSignal),
      retriable: (error) => !isFinal(error),
      onFailure: (work, error, retryInMs) => {
        const message = error instanceof Error ? error.message : String(error);
        const log = { node: work.nodeId, err: error, retryInMs };
        if (retryInMs === undefined) logger.error(log, 'node failed');
        else logger.warn(log, 'node failed; retrying');
        const failed = resources.failed(work.nodeId, work.payload.value, {
          reason: retryInMs === undefined ? message : `${message}; retrying in ${retryInMs} ms`,
          errorCode: (error as { code?: string }).code ?? null,
        });
        audit
          .publish(failed.events)
          .then(() => options.metrics?.sinkAudited(failed.events))
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
    scheduler = nodes;

    // Objects of nodes whose desired state is gone (a tombstone compacted away
    // while the sink was down). An empty desired topic more likely means a
    // wrong prefix or a topic deleted by hand than "delete everything".
    const gone = resources.nodes().filter((nodeId) => (latest.get(nodeId) ?? null) === null);
    if (latest.size === 0 && gone.length > 0)
      logger.warn(
        { nodes: gone.length, topic },
        'the desired topic is empty: objects of this prefix are left alone',
      );
    else for (const nodeId of gone) nodes.submit({ nodeId, payload: { value: null, verify: false } });

    const latch = new CrashLatch();
    const crashed = (error: unknown) => latch.crash(error);

    const groupConsumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      maxWaitTimeInMs: 20,
      allowAutoTopicCreation: false,
      // A record that cannot be decoded must stop the sink, not be skipped
      // (kafkajs would retry past it and the offsets could move beyond it).
      retry: { retries: 0, restartOnFailure: async () => false },
      // A crashed instance's partitions move on after 10 s, not kafkajs's 30 s.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    consumer = groupConsumer;
    groupConsumer.on(groupConsumer.events.CRASH, ({ payload }) => crashed(payload.error));
    groupConsumer.on(groupConsumer.events.GROUP_JOIN, ({ payload }) => {
      // Partitions handed to another instance: their records are its to commit now.
      const mine = new Set(payload.memberAssignment[topic] ?? []);
      for (const partition of tracker.partitions()) if (!mine.has(partition)) tracker.forget(partition);
    });
    await groupConsumer.connect();
    await groupConsumer.subscribe({ topic, fromBeginning: true });
    await groupConsumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        for (const message of batch.messages) {
          latch.check();
          if (!isRunning() || isStale()) return;
          while (tracker.inFlight >= MAX_IN_FLIGHT && !signal.aborted) {
            await abortableSleep(50, signal);
            await heartbeat();
          }
          const { nodeId, value } = await decode({
            key: message.key,
            value: message.value,
            headers: headersToText(message.headers),
          }).catch((error: unknown) => {
            crashed(error);
            throw error;
          });
          const offset = BigInt(message.offset);
          tracker.started(batch.partition, offset);
          latest.set(nodeId, value);
          nodes.submit({
            nodeId,
            payload: { value, record: { partition: batch.partition, offset }, verify: false },
          });
        }
        await heartbeat();
      },
    });
    commitTimer = setInterval(() => {
      commit().catch((error) => crashed(error));
    }, COMMIT_INTERVAL_MS);
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
    await Promise.race([latch.crashed, abortableSleep(Number.POSITIVE_INFINITY, options.signal)]);
  } finally {
    clearInterval(commitTimer);
    clearInterval(driftTimer);
    attempt.abort();
    await scheduler?.idle();
    // Before the consumer stops: kafkajs commits only for a running group member.
    await commit().catch((error) => logger.warn({ err: error }, 'committing the handled offsets failed'));
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
