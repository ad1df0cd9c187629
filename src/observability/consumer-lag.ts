import type { Logger } from 'pino';
import type { StageName } from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import { type Kafka, KafkaAdmin } from '../kafka/index.js';

// Per-stage lag: how many records of its input topics a stage's consumer
// group has not committed yet, read with the admin client every few seconds.
// It is what the stage still has to do, whichever instance does it, so any
// process running the stage (or none of its consumers: a stopped stage's lag
// grows) can report it.

/** A partition's offsets, as the admin client gives them (strings of integers). */
export interface PartitionOffsets {
  partition: number;
  /** The end offset (high watermark). */
  high: string;
  /** The earliest offset still in the log. */
  low: string;
}

/** A group's committed offset of a partition; "-1" when it never committed one. */
export interface CommittedOffset {
  partition: number;
  offset: string;
}

/**
 * Records between the group's committed offsets and the end of the topic. A
 * partition the group never committed is read from the beginning (both stages
 * start there), so all of it counts. On a topic written in Kafka transactions
 * each commit marker takes an offset too, so a caught-up partition may show 1.
 */
export function topicLag(ends: readonly PartitionOffsets[], committed: readonly CommittedOffset[]): number {
  const byPartition = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  let lag = 0n;
  for (const end of ends) {
    const high = BigInt(end.high);
    const low = BigInt(end.low);
    const from = byPartition.get(end.partition) ?? -1n;
    const start = from < 0n ? low : from < low ? low : from;
    if (high > start) lag += high - start;
  }
  return Number(lag);
}

/** One stage's consumer group and the topics it reads. */
export interface WatchedGroup {
  stage: StageName;
  groupId: string;
  topics: readonly string[];
}

export interface WatchConsumerLagOptions {
  kafka: Kafka;
  groups: readonly WatchedGroup[];
  intervalMs: number;
  /** Receives each topic's lag after every round. */
  report: (stage: StageName, topic: string, records: number) => void;
  logger: Logger;
  signal: AbortSignal;
}

/**
 * Reads the lag of every group every intervalMs until the signal aborts; the
 * promise then resolves. A topic that does not exist yet (nothing was
 * captured) or a broker that is away skips a round: it is logged at debug
 * level and the gauge keeps its last value.
 */
export async function watchConsumerLag(options: WatchConsumerLagOptions): Promise<void> {
  const { kafka, groups, signal, logger } = options;
  const admin = KafkaAdmin.lazy(kafka);
  let connected = false;
  try {
    while (!signal.aborted) {
      try {
        if (!connected) {
          await admin.connect();
          connected = true;
        }
        for (const group of groups) await readGroupLag(admin, group, options.report, logger);
      } catch (error) {
        logger.debug({ err: error }, 'reading consumer lag failed; trying again next round');
      }
      await abortableSleep(options.intervalMs, signal);
    }
  } finally {
    await admin.close();
  }
}

async function readGroupLag(
  admin: KafkaAdmin,
  group: WatchedGroup,
  report: WatchConsumerLagOptions['report'],
  logger: Logger,
): Promise<void> {
  for (const topic of group.topics) {
    try {
      const ends = await admin.topicEnds(topic);
      const committed = await admin.groupOffsets(group.groupId, topic);
      report(group.stage, topic, topicLag(ends, committed));
    } catch (error) {
      logger.debug({ err: error, topic, groupId: group.groupId }, 'consumer lag not read');
    }
  }
}
