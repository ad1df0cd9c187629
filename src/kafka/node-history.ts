import type { Kafka } from 'kafkajs';
import { auditTopic, type DecodedAuditEvent } from '../contracts/index.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { auditKeyCodec } from './audit-schema.js';
import { KafkaAdmin } from './kafka-admin.js';
import { keyPartition } from './key-partition.js';
import { decodeNative } from './record-decoder.js';
import type { SchemaRegistryClient } from './registry/registry-client.js';
import { SchemaRegistry } from './schema-registry.js';
import { readTopic } from './topic-reader.js';

// One node's recent history from `<prefix>.audit`: the events the sink wrote
// for it, oldest first (`rowkube status NODE`, the dashboard's node page). The
// key is the node id, so all of a node's events are in one partition: with
// the embedded wire format only that partition is read. Records in the
// Confluent wire format frame the key with a registry id, which moves the
// key's partition, so then every partition is read and filtered by key.

export interface NodeHistoryOptions {
  kafka: Kafka;
  prefix: string;
  nodeId: string;
  /** Only events written at or after this time, ms since epoch (default: all the topic retains). */
  sinceMs?: number;
  /** At most this many events, the latest ones (default 200). */
  limit?: number;
  /** The schema registry client when the pipeline uses `schemaRegistry`. */
  registry?: SchemaRegistryClient;
  signal?: AbortSignal;
}

export async function nodeHistory(options: NodeHistoryOptions): Promise<DecodedAuditEvent[]> {
  const { kafka, prefix, nodeId } = options;
  const topic = auditTopic(prefix);
  const limit = options.limit ?? 200;
  const admin = await KafkaAdmin.connect(kafka);
  let partitions: number[] | undefined;
  let from: Map<number, bigint> | undefined;
  try {
    if (!(await admin.topicExists(topic))) {
      throw new RowkubeError(
        ErrorCode.KAFKA,
        `the audit topic '${topic}' does not exist: is the sink running with kafka.topicPrefix '${prefix}'?`,
      );
    }
    const count = (await admin.topicEnds(topic)).length;
    if (options.registry === undefined)
      partitions = [keyPartition(topic, auditKeyCodec.encode(nodeId), count)];
    if (options.sinceMs !== undefined) {
      from = new Map();
      for (const [partition, offset] of await admin.offsetsAtTime(topic, options.sinceMs)) {
        // -1: no record at or after the time; a start past the end reads nothing.
        from.set(partition, offset < 0n ? BigInt(Number.MAX_SAFE_INTEGER) : offset);
      }
    }
  } finally {
    await admin.close();
  }
  const registry = await SchemaRegistry.open({ kafka, prefix, registry: options.registry });
  const events: DecodedAuditEvent[] = [];
  await readTopic({
    kafka,
    topic,
    fromBeginning: true,
    follow: false,
    ...(partitions === undefined ? {} : { partitions }),
    ...(from === undefined ? {} : { from }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onRecord: async (record) => {
      const { key } = await decodeNative({ ...record, value: null }, registry);
      if (key !== nodeId) return;
      const { value } = await decodeNative(record, registry);
      if (value === null) return;
      events.push(value as DecodedAuditEvent);
      if (events.length > limit) events.shift();
    },
  });
  return events;
}
