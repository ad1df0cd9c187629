import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { PipelineMetrics, Provenance } from '../contracts/index.js';
import {
  desiredTopic,
  inputTopics,
  processorGroupId,
  processorTransactionalId,
  schemasTopic,
} from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { CrashLatch } from '../core/crash-latch.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { ensureTopics, SchemaPublisher, SchemaRegistry } from '../kafka/index.js';
import { isFenced } from '../kafka/kafka-errors.js';
import { runRestarting } from '../kafka/restarting-stage.js';
import { headersToText } from '../kafka/topic-reader.js';
import { openTransactionalProducer } from '../kafka/transactional-producer.js';
import { type DecodedChange, decodeChange } from './desired/change-input.js';
import { absentHash, Materializer, type NodeUpdate } from './materializer/index.js';
import { DesiredOutput, type ProducedUpdate } from './runner/desired-output.js';
import {
  committedOffsets,
  type HubAssignment,
  type RebuiltLimits,
  rebuildHubRows,
} from './runner/hub-rebuild.js';
import { followLookups } from './runner/lookup-follower.js';
import { readProducedHashes } from './runner/produced-hashes.js';
import { SerialQueue } from './runner/serial-queue.js';

// `rowkube process`: change topics → materializer → `<prefix>.desired`.
//
// Hub tables are partitioned across processor instances by a consumer group;
// each hub batch's desired records commit in one Kafka transaction with the
// group offsets after it (consume-transform-produce, exactly once). Lookup
// tables are followed whole by every instance (lookup-follower.ts).
//
// The state lives in memory. On every partition assignment the instance
// rebuilds the hub rows it now owns from the compacted change topics up to the
// committed offsets, reads what `<prefix>.desired` holds, renders every owned
// node and produces the difference (reconcile). That one step covers a form
// edited while the processor was down, lookup changes read but not yet
// produced when an instance died, and a share of the hubs handed over from
// another instance.
//
// Each instance has its own transactional id (prefix + instance name), so a
// restarted instance fences its own zombie. kafkajs has no KIP-447 group
// fencing: during a rebalance a zombie of another instance may still commit
// one batch, which can only duplicate records (the sink is idempotent), never
// lose them.

export interface RunProcessorOptions {
  config: RowkubeConfig;
  kafka: Kafka;
  logger: Logger;
  /** Stops the processor: the batch in progress is committed or aborted, then runProcessor resolves. */
  signal: AbortSignal;
  /** Names this instance among those sharing the hubs (`--instance`); stable across restarts. Default "0". */
  instance?: string;
  /** Called once the lookups are read and the hub consumer runs (tests). */
  onReady?: () => void;
  /** Pause before restarting after a retriable failure. Default 1,000 ms. */
  restartDelayMs?: number;
  /** Where the processor reports records committed, failures and readiness (component `processor`). */
  metrics?: PipelineMetrics;
}

/**
 * Runs until the signal aborts. A retriable failure (broker trouble, a
 * transaction that failed) drops the in-memory state and starts over from the
 * committed offsets; a non-retriable one (fenced by another instance, a bug)
 * rejects.
 */
export async function runProcessor(options: RunProcessorOptions): Promise<void> {
  const { signal, logger, metrics, restartDelayMs } = options;
  await runRestarting(
    {
      stage: 'processor',
      signal,
      logger,
      metrics,
      restartDelayMs,
      restarting: 'rebuilding from the committed offsets',
    },
    () => runOnce(options),
  );
}

async function runOnce(options: RunProcessorOptions): Promise<void> {
  const { config, kafka, logger } = options;
  const prefix = config.kafka.topicPrefix;
  const instance = options.instance ?? '0';
  const groupId = processorGroupId(prefix);
  const outputTopic = desiredTopic(prefix);
  const inputs = inputTopics(prefix, config.hubs);
  const hubInputs = inputs.filter((input) => input.hub);
  const byTopic = new Map(hubInputs.map((input) => [input.topic, input]));
  if (inputs.length === 0) {
    logger.warn('no hubs are configured: nothing to process');
    options.metrics?.componentState('processor', true, 'no hubs are configured');
    await abortableSleep(Number.POSITIVE_INFINITY, options.signal);
    return;
  }

  // Stops this attempt's followers when it ends, whether by the caller's signal or a failure.
  const attempt = new AbortController();
  const signal = AbortSignal.any([options.signal, attempt.signal]);
  const admin = kafka.admin();
  let consumer: Consumer | undefined;
  let txProducer: Producer | undefined;
  try {
    await admin.connect();
    const { replicationFactor, partitions } = config.kafka;
    await ensureTopics(admin, [
      { name: schemasTopic(prefix), kind: 'schemas', replicationFactor },
      { name: outputTopic, kind: 'desired', partitions, replicationFactor },
      ...inputs.map((input) => ({
        name: input.topic,
        kind: 'change' as const,
        partitions,
        replicationFactor,
      })),
    ]);

    // The producer first: taking over the transactional id aborts what an
    // earlier run of this instance left open, so what is read next is final.
    txProducer = await openTransactionalProducer(kafka, {
      transactionalId: processorTransactionalId(prefix, instance),
      transactionTimeoutMs: 60_000,
    });
    const registry = await SchemaRegistry.open({ kafka, prefix });
    const materializer = new Materializer({ hubs: config.hubs, forms: config.forms });
    const output = new DesiredOutput(
      txProducer,
      new SchemaPublisher(schemasTopic(prefix)),
      outputTopic,
      config.forms,
    );
    const desired = {
      commit: async (...args: Parameters<DesiredOutput['commit']>) => {
        const records = await output.commit(...args);
        options.metrics?.desiredCommitted(args[0].map((produced) => produced.update.result));
        return records;
      },
    };
    const queue = new SerialQueue();
    // After any failure nothing more may be processed: kafkajs would go on
    // with the next batch and commit offsets past the one that failed.
    const latch = new CrashLatch();
    const crashed = (error: unknown) => latch.crash(error);

    const produce = (decoded: DecodedChange, updates: NodeUpdate[]): ProducedUpdate[] =>
      updates.map((update) => ({ update, provenance: decoded.provenance }));

    const lookups = followLookups({
      kafka,
      inputs: inputs.filter((input) => input.lookup),
      resolver: registry,
      signal,
      onChange: (decoded) =>
        queue.run(async () => {
          latch.check();
          const updates = materializer.apply(decoded.change, 'lookup');
          await desired.commit(produce(decoded, updates));
        }),
    });
    await Promise.race([lookups.caughtUp, lookups.done]);
    if (signal.aborted) return;
    logger.info({ topics: inputs.filter((i) => i.lookup).map((i) => i.topic) }, 'lookups read');

    // The assignment the state was rebuilt for, and where each partition's rebuild stopped.
    let owned: HubAssignment = new Map();
    let limits: RebuiltLimits = new Map();
    const takeOver = async (assignment: HubAssignment): Promise<void> => {
      const started = Date.now();
      options.metrics?.componentState('processor', false, 'taking over hub partitions');
      materializer.resetHubs();
      owned = assignment;
      limits = await committedOffsets(
        admin,
        groupId,
        hubInputs.map((input) => input.topic),
      );
      const rebuilt = await rebuildHubRows({
        kafka,
        inputs: hubInputs,
        assignment,
        limits,
        resolver: registry,
        materializer,
        signal,
      });
      const produced = await readProducedHashes(kafka, outputTopic, registry, signal);
      materializer.seedProduced(produced);
      const reconciled = [
        ...materializer
          .reconcile()
          .map((update) => ({ update, provenance: reconcileProvenance(config, materializer, update) })),
        ...removedFormTombstones(config, produced),
      ];
      await desired.commit(reconciled);
      logger.info(
        {
          assignment: Object.fromEntries(assignment),
          rebuilt,
          reconciled: reconciled.length,
          ms: Date.now() - started,
        },
        'hub partitions taken over',
      );
      options.metrics?.componentState('processor', true);
    };

    lookups.done.catch((error) => crashed(error));

    const groupConsumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      maxWaitTimeInMs: 20,
      allowAutoTopicCreation: false,
      // A batch that failed has already changed the in-memory state: kafkajs
      // must neither retry it against this state nor skip it; runProcessor
      // rebuilds instead.
      retry: { retries: 0, restartOnFailure: async () => false },
      // A crashed instance's partitions move on after 15 s, not 30 s; a
      // take-over (reading hub partitions) stays well within it.
      sessionTimeout: 15_000,
      heartbeatInterval: 1_000,
    });
    consumer = groupConsumer;
    groupConsumer.on(groupConsumer.events.CRASH, ({ payload }) => crashed(payload.error));
    // Emitted synchronously after each join, before fetching resumes: the
    // take-over is queued ahead of the first batch of the new assignment.
    groupConsumer.on(groupConsumer.events.GROUP_JOIN, ({ payload }) => {
      const assignment = new Map(Object.entries(payload.memberAssignment));
      queue.run(() => takeOver(assignment)).catch((error) => crashed(error));
    });

    await groupConsumer.connect();
    await groupConsumer.subscribe({ topics: hubInputs.map((input) => input.topic), fromBeginning: true });
    await groupConsumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const input = byTopic.get(batch.topic);
        if (input === undefined || batch.messages.length === 0) return;
        await queue
          .run(async () => {
            latch.check();
            if (!isRunning() || isStale()) return;
            if (!(owned.get(batch.topic) ?? []).includes(batch.partition)) return;
            const rebuiltUpTo = limits.get(batch.topic)?.get(batch.partition) ?? 0n;
            const produced: ProducedUpdate[] = [];
            let changes = 0;
            for (const message of batch.messages) {
              // Already part of the rebuilt state (a fetch from before the take-over).
              if (BigInt(message.offset) < rebuiltUpTo) continue;
              const decoded = await decodeChange(
                input,
                { key: message.key, value: message.value, headers: headersToText(message.headers) },
                registry,
              );
              produced.push(...produce(decoded, materializer.apply(decoded.change, 'hub')));
              changes += 1;
            }
            const last = batch.messages[batch.messages.length - 1]?.offset as string;
            const next = BigInt(last) + 1n;
            await desired.commit(produced, { groupId, topic: batch.topic, partition: batch.partition, next });
            limits.get(batch.topic)?.set(batch.partition, next);
            if (produced.length > 0)
              logger.debug({ topic: batch.topic, changes, desired: produced.length }, 'batch committed');
            resolveOffset(last);
          })
          .catch((error: unknown) => {
            crashed(error);
            throw error;
          });
        await heartbeat();
      },
    });
    options.onReady?.();
    logger.info({ groupId, instance, output: outputTopic }, 'processor running');
    await Promise.race([latch.crashed, abortableSleep(Number.POSITIVE_INFINITY, options.signal)]);
  } catch (error) {
    if (isFenced(error)) {
      throw new RowkubeError(
        ErrorCode.KAFKA,
        `another processor took over the transactional id ${processorTransactionalId(prefix, instance)}; give each instance its own --instance name`,
        false,
        { cause: error },
      );
    }
    throw error;
  } finally {
    attempt.abort();
    await consumer?.disconnect().catch(() => undefined);
    await txProducer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** A reconciled node was caused by no single change: it names its hub row, without a position. */
function reconcileProvenance(
  config: RowkubeConfig,
  materializer: Materializer,
  update: NodeUpdate,
): Provenance {
  const slash = update.id.indexOf('/');
  const form = config.forms.find((f) => f.name === update.id.slice(0, slash));
  const hub = config.hubs.find((h) => h.name === form?.hub);
  if (hub === undefined) throw new Error(`reconcileProvenance: node ${update.id} has no configured hub`);
  const [key] = materializer.state.hubKeys(hub.name, update.id.slice(slash + 1));
  return { source: hub.source, table: hub.table, position: null, commitTsMs: null, primaryKey: key ?? '' };
}

/**
 * Nodes of a form no longer in the configuration: their records would keep
 * their objects in the cluster for good, so they get tombstones. Every
 * instance finds them; a second tombstone is harmless.
 */
function removedFormTombstones(
  config: RowkubeConfig,
  produced: ReadonlyMap<string, string>,
): ProducedUpdate[] {
  const forms = new Set(config.forms.map((form) => form.name));
  const result: ProducedUpdate[] = [];
  for (const [id, hash] of produced) {
    if (forms.has(id.slice(0, id.indexOf('/'))) || hash === absentHash(id)) continue;
    result.push({
      update: { id, result: { kind: 'absent', id, reason: 'deleted' }, hash: absentHash(id) },
      provenance: { source: '', table: '', position: null, commitTsMs: null, primaryKey: '' },
    });
  }
  return result;
}
