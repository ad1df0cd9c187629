import type { Logger } from 'pino';
import type { StageName } from '../contracts/index.js';
import { type Kafka, KafkaAdmin } from '../kafka/index.js';

// Per-stage lag: how many records of its input topics a stage's consumer
// group has not committed yet, read with the admin client when /metrics is
// scraped, at most once per interval. It is what the stage still has to do,
// whichever instance does it, so any process running the stage (or none of
// its consumers: a stopped stage's lag grows) can report it. Read on demand
// rather than on a timer: an idle process nobody scrapes makes no requests.

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

export interface ConsumerLagReaderOptions {
  kafka: Kafka;
  groups: readonly WatchedGroup[];
  /** A read this recent is not repeated: scrapes closer together than this share one. */
  intervalMs: number;
  /** Receives each topic's lag after every read. */
  report: (stage: StageName, topic: string, records: number) => void;
  logger: Logger;
  /** A scrape waits this long for a read (default 2,000 ms), then shows the values it has. */
  waitMs?: number;
  now?: () => number;
}

/**
 * Reads the lag of every group when asked (refresh), unless the last read
 * started less than intervalMs ago. A topic that does not exist yet (nothing
 * was captured) or a broker that is away skips a read: it is logged at debug
 * level and the gauge keeps its last value. A slow read does not hold up the
 * scrape beyond waitMs; it finishes in the background for the next one.
 */
export class ConsumerLagReader {
  private readonly admin: KafkaAdmin;
  private connected = false;
  private closed = false;
  private lastReadAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ConsumerLagReaderOptions) {
    this.admin = KafkaAdmin.lazy(options.kafka);
    this.now = options.now ?? Date.now;
  }

  /** Resolves once a fresh enough read is done, or after waitMs; never rejects. */
  async refresh(): Promise<void> {
    if (this.closed || this.options.groups.length === 0) return;
    if (this.reading === undefined && this.now() - this.lastReadAt >= this.options.intervalMs) {
      this.lastReadAt = this.now();
      this.reading = this.read().finally(() => {
        this.reading = undefined;
      });
    }
    if (this.reading === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.reading,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.waitMs ?? 2_000);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Waits for a read in progress, then closes the admin client. */
  async close(): Promise<void> {
    this.closed = true;
    await this.reading;
    await this.admin.close();
  }

  private async read(): Promise<void> {
    const { logger } = this.options;
    try {
      if (!this.connected) {
        await this.admin.connect();
        this.connected = true;
      }
      for (const group of this.options.groups)
        await readGroupLag(this.admin, group, this.options.report, logger);
    } catch (error) {
      logger.debug({ err: error }, 'reading consumer lag failed; trying again at the next scrape');
    }
  }
}

async function readGroupLag(
  admin: KafkaAdmin,
  group: WatchedGroup,
  report: ConsumerLagReaderOptions['report'],
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
