import type { Admin, Kafka } from 'kafkajs';
import { toKafkaError } from './kafka-errors.js';
import { ensureTopics, type TopicSpec } from './topics.js';

// The admin requests the stages make, over one admin connection: creating
// their topics, reading a group's committed offsets (a processor take-over,
// consumer lag), a topic's end offsets and configuration (replay). The stages
// see these small methods, never the kafkajs client.

/** A partition's offsets as the broker gives them (strings of integers). */
export interface PartitionEnds {
  partition: number;
  /** The end offset (high watermark). */
  high: string;
  /** The earliest offset still in the log. */
  low: string;
}

/** A group's committed offset of a partition; "-1" when it never committed one. */
export interface GroupPartitionOffset {
  partition: number;
  offset: string;
}

/** Topic → partition → the offset a consumer of the group starts at (0 when it never committed one). */
export type CommittedOffsets = Map<string, Map<number, bigint>>;

/**
 * kafkajs's ConfigResourceTypes.TOPIC. The enum exists only in its type
 * declarations' view of the module: as ESM, kafkajs (CommonJS) does not export
 * it by name.
 */
const TOPIC_RESOURCE = 2;

export class KafkaAdmin {
  private constructor(private readonly admin: Admin) {}

  /** Connects; close() when done. */
  static async connect(kafka: Kafka): Promise<KafkaAdmin> {
    const admin = kafka.admin();
    await admin.connect();
    return new KafkaAdmin(admin);
  }

  /** An admin that connects on its first request (a watcher that must survive a broker away at start). */
  static lazy(kafka: Kafka): KafkaAdmin {
    return new KafkaAdmin(kafka.admin());
  }

  /** Connects a lazy admin; a no-op once connected (kafkajs keeps the connection). */
  async connect(): Promise<void> {
    await this.admin.connect();
  }

  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
  }

  /** Creates the missing topics (see ensureTopics); returns the names it created. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    return ensureTopics(this.admin, specs);
  }

  async topicExists(topic: string): Promise<boolean> {
    return (await this.admin.listTopics()).includes(topic);
  }

  topicEnds(topic: string): Promise<PartitionEnds[]> {
    return this.admin.fetchTopicOffsets(topic);
  }

  /** Per partition, the first offset whose record timestamp is at or after `timestampMs` (the end when none is). */
  async offsetsAtTime(topic: string, timestampMs: number): Promise<Map<number, bigint>> {
    const offsets = await this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
    return new Map(offsets.map(({ partition, offset }) => [partition, BigInt(offset)]));
  }

  /** The group's committed offsets of one topic, as the broker gives them. */
  async groupOffsets(groupId: string, topic: string): Promise<GroupPartitionOffset[]> {
    const [committed] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return committed?.partitions ?? [];
  }

  /** Where the group's consumers start on each partition of the topics. */
  async committedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffsets> {
    const result: CommittedOffsets = new Map();
    const offsets = await this.admin.fetchOffsets({ groupId, topics: [...topics] });
    for (const { topic, partitions } of offsets) {
      const byPartition = new Map<number, bigint>();
      // -1: nothing committed yet; the consumer starts from the beginning.
      for (const { partition, offset } of partitions)
        byPartition.set(partition, BigInt(offset) >= 0n ? BigInt(offset) : 0n);
      result.set(topic, byPartition);
    }
    return result;
  }

  /** The topic's min.compaction.lag.ms, or undefined when the topic is not compacted. */
  async compactionLagMs(topic: string): Promise<number | undefined> {
    try {
      const { resources } = await this.admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: TOPIC_RESOURCE,
            name: topic,
            configNames: ['cleanup.policy', 'min.compaction.lag.ms'],
          },
        ],
      });
      const entries = resources[0]?.configEntries ?? [];
      const value = (name: string) => entries.find((entry) => entry.configName === name)?.configValue;
      if (!(value('cleanup.policy') ?? '').includes('compact')) return undefined;
      return Number(value('min.compaction.lag.ms') ?? 0);
    } catch (error) {
      throw toKafkaError(`reading the configuration of topic '${topic}'`, error);
    }
  }
}
