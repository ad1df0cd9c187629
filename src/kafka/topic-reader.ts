import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { IDLE_FETCH_WAIT_MS } from './fetch-wait.js';
import { toKafkaError } from './kafka-errors.js';

// Reads a topic without a consumer group of its own: the schema registry and
// the offset store read a topic from earliest to its end on every start, and
// `tail` reads or follows any topic. kafkajs has no manual partition
// assignment, so this joins a throw-away group and never commits offsets: the
// group has no state and the coordinator drops it when the reader leaves.
//
// "The end" is the last stable offset when reading started, which is what the
// admin client's ListOffsets returns (kafkajs asks with READ_COMMITTED). On a
// transactional topic the high watermark counts commit/abort markers and
// aborted records that a read_committed consumer never receives, so the reader
// does not wait for the offset of a last *delivered* record: it follows the
// fetch position of every batch, including batches that are empty because all
// they held was filtered out.

export interface TopicRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are int64: kept as decimal strings. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values as UTF-8 text; a repeated header keeps its last value. */
  headers: Record<string, string>;
  /** Kafka record timestamp, ms since epoch, as a decimal string. */
  timestamp: string;
}

export interface ReadTopicOptions {
  kafka: Kafka;
  topic: string;
  /** Start at the earliest retained record (true), or at the end (false). */
  fromBeginning: boolean;
  /** Keep waiting for new records (true), or stop at the end as it was when reading started (false). */
  follow: boolean;
  /** Default read_committed: records of open or aborted transactions are never seen. */
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Called for each record, in offset order per partition. Return (or resolve to) false to stop reading. */
  onRecord: (record: TopicRecord) => unknown;
  /** Stops reading (resolves, does not throw) when aborted. */
  signal?: AbortSignal;
  /**
   * With `follow`: called once every record that existed when reading started
   * has been handed to onRecord (at once for an empty topic), so a follower
   * knows when it holds the topic's state as of its start.
   */
  onCaughtUp?: () => void;
  /** When the topic does not exist: resolve having read nothing (true) or throw (false, default). */
  allowMissing?: boolean;
  /**
   * Without `follow`: read only these partitions (default all), e.g. one the
   * sink took over. The others are paused once the reader runs, and what
   * arrives of them before is skipped.
   */
  partitions?: readonly number[];
  /**
   * Without `follow`: start these partitions at this offset rather than at
   * their beginning (what an earlier read reached, from its onEnds).
   */
  from?: ReadonlyMap<number, bigint>;
  /** Called with where this read ends, per partition (the last stable offset when reading started). */
  onEnds?: (ends: ReadonlyMap<number, bigint>) => void;
  /**
   * Without `follow`: give up when reading has made no progress for this long
   * (default 60 s), so that a broker that stops answering does not hang a
   * start-up. A long topic may take longer as a whole.
   */
  timeoutMs?: number;
}

/** Resolves when reading stopped: at the end (not following), when onRecord returned false, or on abort. */
export async function readTopic(options: ReadTopicOptions): Promise<void> {
  const { kafka, topic, fromBeginning, follow, onRecord, signal } = options;
  if (signal?.aborted) return;

  const ends = await endOffsets(kafka, topic);
  if (ends === undefined) {
    if (options.allowMissing) return;
    throw new RowkubeError(ErrorCode.KAFKA, `topic '${topic}' does not exist`);
  }
  // Partitions still to read up to their end; empty when not following means done.
  const remaining = new Map<number, bigint>();
  const only = options.partitions === undefined || follow ? undefined : new Set(options.partitions);
  const from = follow ? undefined : options.from;
  const startOf = (partition: number) => from?.get(partition) ?? 0n;
  for (const { partition, low, high } of ends)
    if (
      fromBeginning &&
      high > low &&
      high > startOf(partition) &&
      (only === undefined || only.has(partition))
    )
      remaining.set(partition, high);
  options.onEnds?.(new Map(ends.map(({ partition, high }) => [partition, high])));
  if (!follow && remaining.size === 0) return;
  let caughtUp = false;
  const checkCaughtUp = () => {
    if (caughtUp || remaining.size > 0) return;
    caughtUp = true;
    options.onCaughtUp?.();
  };

  const consumer = kafka.consumer({
    groupId: `rowkube-reader-${randomUUID()}`,
    readUncommitted: options.isolation === 'read_uncommitted',
    allowAutoTopicCreation: false,
    // A follower (control records, lookup tables) idles for long stretches (fetch-wait.ts).
    maxWaitTimeInMs: IDLE_FETCH_WAIT_MS,
  });

  let stopped = false;
  let finish: (error?: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error?: unknown) => {
      if (stopped) return;
      stopped = true;
      if (error === undefined) resolve();
      else reject(error);
    };
  });
  // Awaited below unless connecting fails first; never an unhandled rejection.
  done.catch(() => undefined);

  let lastProgress = Date.now();
  const advance = (partition: number, nextOffset: bigint) => {
    lastProgress = Date.now();
    const end = remaining.get(partition);
    if (end !== undefined && nextOffset >= end) remaining.delete(partition);
    if (!follow && remaining.size === 0) finish();
    if (follow) checkCaughtUp();
  };

  const onAbort = () => finish();
  signal?.addEventListener('abort', onAbort, { once: true });
  const stallMs = options.timeoutMs ?? 60_000;
  const stallCheck = follow
    ? undefined
    : setInterval(
        () => {
          if (Date.now() - lastProgress < stallMs) return;
          const behind = [...remaining.entries()].map(([p, end]) => `partition ${p} (end ${end})`).join(', ');
          finish(
            new RowkubeError(
              ErrorCode.KAFKA,
              `reading topic '${topic}' to its end made no progress for ${stallMs} ms; still behind: ${behind}`,
              true,
            ),
          );
        },
        Math.min(stallMs, 1_000),
      );

  // Batches that held only markers or aborted records reach no handler: their
  // fetch position comes with this event.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic) advance(payload.partition, BigInt(payload.lastOffset) + 1n);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) finish(toKafkaError(`reading topic '${topic}' failed`, payload.error));
  });

  try {
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning });
    } catch (error) {
      throw toKafkaError(`reading topic '${topic}' failed`, error);
    }
    if (follow) checkCaughtUp();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (stopped) return;
          const offset = BigInt(message.offset);
          const end = remaining.get(batch.partition);
          // Not following: what was written after reading started is not part of this read.
          // Nor is a partition not asked for, or what comes before where it was asked from.
          if (!follow && (end === undefined || offset >= end || offset < startOf(batch.partition))) continue;
          try {
            const more = await onRecord(toRecord(topic, batch.partition, message));
            if (more === false) return finish();
          } catch (error) {
            return finish(error);
          }
          advance(batch.partition, offset + 1n);
        }
      },
    });
    // Fetching partitions that are not read only costs: stopped once the consumer runs (kafkajs allows no earlier).
    if (only !== undefined) {
      const others = ends.map((end) => end.partition).filter((partition) => !only.has(partition));
      if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
    }
    // Likewise reading what comes before where a partition was asked from (kafkajs seeks before its next fetch).
    for (const partition of remaining.keys())
      if (startOf(partition) > 0n) consumer.seek({ topic, partition, offset: startOf(partition).toString() });
    await done;
  } finally {
    if (stallCheck !== undefined) clearInterval(stallCheck);
    signal?.removeEventListener('abort', onAbort);
    stopped = true;
    await consumer.disconnect().catch(() => undefined);
  }
}

interface PartitionEnds {
  partition: number;
  low: bigint;
  /** The last stable offset: nothing at or after it is visible to read_committed yet. */
  high: bigint;
}

/** The current ends of each partition, or undefined when the topic does not exist. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<PartitionEnds[] | undefined> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    // Checked first: fetchTopicOffsets retries an unknown topic for a long time.
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }));
  } catch (error) {
    throw toKafkaError(`reading the end offsets of topic '${topic}' failed`, error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function toRecord(topic: string, partition: number, message: KafkaMessage): TopicRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: headersToText(message.headers),
    timestamp: message.timestamp,
  };
}

export function headersToText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}
