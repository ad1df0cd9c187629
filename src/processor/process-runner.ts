import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { abortableSleep } from '../core/abortable-sleep.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import {
  desiredTopic,
  ensureTopics,
  readTopic,
  SchemaPublisher,
  SchemaRegistry,
  schemasTopic,
} from '../kafka/index.js';
import { isFenced, toKafkaError } from '../kafka/kafka-errors.js';
import { headersToText } from '../kafka/topic-reader.js';
import { openTransactionalProducer } from '../kafka/transactional-producer.js';
import { type DecodedChange, decodeChange, type InputTopic, inputTopics } from './desired/change-input.js';
import { encodeDesired } from './desired/desired-message.js';
import { Materializer } from './materializer/index.js';

// `rowkube process`: change topics → materializer → `<prefix>.desired`, as
// consume-transform-produce in Kafka transactions: the desired records of a
// batch and the consumer offsets after it are committed together, so a crash
// anywhere re-processes exactly the changes whose output is not committed.
//
// The materializer's state lives in memory. At start it is rebuilt from the
// change topics up to the group's committed offsets without producing: what
// those records caused is already in the desired topic (committed with the
// offsets), and rebuilding up to the committed offsets, not to the end, makes
// the changes after them produce their records when they are consumed.
//
// One processor per topic prefix: the transactional id is fixed per prefix, so
// a second instance fences the first.

export interface RunProcessorOptions {
  config: RowkubeConfig;
  kafka: Kafka;
  logger: Logger;
  /** Stops the processor: the batch in progress is committed or aborted, then runProcessor resolves. */
  signal: AbortSignal;
  /** Called once the state is rebuilt and the consumer runs (tests). */
  onReady?: () => void;
  /** Pause before restarting after a retriable failure. Default 1,000 ms. */
  restartDelayMs?: number;
}

export function processorGroupId(prefix: string): string {
  return `rowkube-process-${prefix}`;
}

export function processorTransactionalId(prefix: string): string {
  return `rowkube-process-${prefix}`;
}

/**
 * Runs until the signal aborts. A retriable failure (broker trouble, a
 * transaction that failed) drops the in-memory state and starts over from the
 * committed offsets; a non-retriable one (fenced by another instance, a bug)
 * rejects.
 */
export async function runProcessor(options: RunProcessorOptions): Promise<void> {
  const { signal, logger } = options;
  while (!signal.aborted) {
    try {
      await runOnce(options);
      return;
    } catch (error) {
      if (signal.aborted) return;
      const failure = toKafkaError('the processor failed', error);
      if (!failure.retriable) throw failure;
      logger.warn({ err: failure }, 'processor failed; rebuilding from the committed offsets');
      await abortableSleep(options.restartDelayMs ?? 1_000, signal);
    }
  }
}

async function runOnce(options: RunProcessorOptions): Promise<void> {
  const { config, kafka, logger, signal } = options;
  const prefix = config.kafka.topicPrefix;
  const groupId = processorGroupId(prefix);
  const outputTopic = desiredTopic(prefix);
  const inputs = inputTopics(prefix, config.hubs);
  const byTopic = new Map(inputs.map((input) => [input.topic, input]));
  if (inputs.length === 0) {
    logger.warn('no hubs are configured: nothing to process');
    await abortableSleep(Number.POSITIVE_INFINITY, signal);
    return;
  }

  const admin = kafka.admin();
  let producer: Producer | undefined;
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    maxWaitTimeInMs: 20,
    allowAutoTopicCreation: false,
    // A batch that failed has already changed the in-memory state: kafkajs
    // must not redeliver it to this state; runProcessor rebuilds instead.
    retry: { restartOnFailure: async () => false },
  });
  try {
    await admin.connect();
    const replicationFactor = config.kafka.replicationFactor;
    const partitions = config.kafka.partitions;
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
    // earlier instance left open, so the committed offsets read next are final.
    producer = await openProducer(kafka, prefix);
    const committed = await committedOffsets(admin, groupId, inputs);

    const registry = await SchemaRegistry.open({ kafka, prefix });
    const materializer = new Materializer({ hubs: config.hubs, forms: config.forms });
    const rebuilt = await rebuild(kafka, inputs, committed, registry, materializer, signal);
    logger.info({ records: rebuilt, topics: inputs.map((i) => i.topic) }, 'processor state rebuilt');
    if (signal.aborted) return;

    const publisher = new SchemaPublisher(schemasTopic(prefix));
    const txProducer = producer;
    let crashed: (error: unknown) => void = () => undefined;
    const crash = new Promise<never>((_, reject) => {
      crashed = reject;
    });
    crash.catch(() => undefined);
    consumer.on(consumer.events.CRASH, ({ payload }) => crashed(payload.error));

    await consumer.connect();
    await consumer.subscribe({ topics: inputs.map((input) => input.topic), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const input = byTopic.get(batch.topic);
        if (input === undefined || batch.messages.length === 0) return;
        if (!isRunning() || isStale()) return;
        const decoded: DecodedChange[] = [];
        for (const message of batch.messages) {
          decoded.push(
            await decodeChange(
              input,
              { key: message.key, value: message.value, headers: headersToText(message.headers) },
              registry,
            ),
          );
        }
        const outgoing: (Message & { topic: string })[] = [];
        for (const { change, provenance } of decoded) {
          for (const update of materializer.apply(change)) {
            const encoded = encodeDesired(outputTopic, update, config.forms, provenance);
            for (const record of publisher.recordsFor(encoded.schemas))
              outgoing.push({ topic: publisher.topic, key: record.key, value: record.value });
            outgoing.push(encoded.message);
          }
        }
        const last = batch.messages[batch.messages.length - 1]?.offset as string;
        const tx = await txProducer.transaction();
        try {
          if (outgoing.length > 0) await tx.sendBatch({ topicMessages: groupByTopic(outgoing) });
          await tx.sendOffsets({
            consumerGroupId: groupId,
            topics: [
              {
                topic: batch.topic,
                partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }],
              },
            ],
          });
          await tx.commit();
        } catch (error) {
          await tx.abort().catch(() => undefined);
          // The batch changed the state and its schemas may be unpublished: start over.
          throw toKafkaError(`committing the desired records of ${batch.topic}[${batch.partition}]`, error);
        }
        const desired = outgoing.filter((m) => m.topic === outputTopic).length;
        if (desired > 0)
          logger.debug({ topic: batch.topic, changes: decoded.length, desired }, 'batch committed');
        resolveOffset(last);
        await heartbeat();
      },
    });
    options.onReady?.();
    logger.info({ groupId, output: outputTopic }, 'processor running');
    await Promise.race([crash, abortableSleep(Number.POSITIVE_INFINITY, signal)]);
  } catch (error) {
    if (isFenced(error)) {
      throw new RowkubeError(
        ErrorCode.KAFKA,
        `another processor of prefix '${prefix}' took over the transactional id ${processorTransactionalId(prefix)}; only one may run`,
        false,
        { cause: error },
      );
    }
    throw error;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

function openProducer(kafka: Kafka, prefix: string): Promise<Producer> {
  return openTransactionalProducer(kafka, {
    transactionalId: processorTransactionalId(prefix),
    transactionTimeoutMs: 60_000,
  });
}

/** The group's committed offset per topic and partition; a partition without one is absent. */
async function committedOffsets(
  admin: Admin,
  groupId: string,
  inputs: readonly InputTopic[],
): Promise<Map<string, Map<number, bigint>>> {
  const result = new Map<string, Map<number, bigint>>();
  const offsets = await admin.fetchOffsets({ groupId, topics: inputs.map((input) => input.topic) });
  for (const { topic, partitions } of offsets) {
    const byPartition = new Map<number, bigint>();
    for (const { partition, offset } of partitions) {
      if (BigInt(offset) >= 0n) byPartition.set(partition, BigInt(offset));
    }
    result.set(topic, byPartition);
  }
  return result;
}

/** Applies every record before the committed offsets, producing nothing; returns how many. */
async function rebuild(
  kafka: Kafka,
  inputs: readonly InputTopic[],
  committed: Map<string, Map<number, bigint>>,
  registry: SchemaRegistry,
  materializer: Materializer,
  signal: AbortSignal,
): Promise<number> {
  let count = 0;
  for (const input of inputs) {
    const limits = committed.get(input.topic);
    if (limits === undefined || limits.size === 0) continue;
    await readTopic({
      kafka,
      topic: input.topic,
      fromBeginning: true,
      follow: false,
      signal,
      onRecord: async (record) => {
        const limit = limits.get(record.partition);
        if (limit === undefined || BigInt(record.offset) >= limit) return;
        const { change } = await decodeChange(input, record, registry);
        materializer.apply(change);
        count += 1;
      },
    });
  }
  return count;
}

function groupByTopic(messages: (Message & { topic: string })[]): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, ...message } of messages) {
    const list = byTopic.get(topic) ?? [];
    list.push(message);
    byTopic.set(topic, list);
  }
  return [...byTopic.entries()].map(([topic, list]) => ({ topic, messages: list }));
}
