import type { Kafka } from 'kafkajs';
import { auditTopic, desiredTopic, schemasTopic } from '../src/contracts/index.js';
import type { RowkubeConfig } from '../src/core/config/config-schema.js';
import { ensureTopics } from '../src/kafka/index.js';

/**
 * Creates the sink's topics (schemas, desired, audit) as the sink would, so
 * that desired records can be written, and the audit topic followed, before
 * any sink runs: a backlog for it to start on.
 */
export async function ensureSinkTopics(kafka: Kafka, config: RowkubeConfig): Promise<void> {
  const prefix = config.kafka.topicPrefix;
  const { partitions, replicationFactor } = config.kafka;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [
      { name: schemasTopic(prefix), kind: 'schemas', replicationFactor },
      { name: desiredTopic(prefix), kind: 'desired', partitions, replicationFactor },
      { name: auditTopic(prefix), kind: 'audit', partitions, replicationFactor },
    ]);
  } finally {
    await admin.disconnect();
  }
}
