import { performance } from 'node:perf_hooks';
import { type Kafka, type Message, Partitioners } from 'kafkajs';
import { desiredTopic, schemasTopic } from '../../src/contracts/index.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import { SchemaPublisher } from '../../src/kafka/index.js';
import { encodeDesired } from '../../src/processor/desired/index.js';
import { ensureSinkTopics } from '../../support/sink-topics.js';
import { round2 } from './report.js';
import type { BenchNode } from './sink-nodes.js';

// The sink's backlog: one `<prefix>.desired` record per node, encoded with
// the processor's encodeDesired and its schemas published to
// `<prefix>._schemas` first, so the sink reads what a processor would have
// written. A plain idempotent producer is enough here: nothing is measured
// while the backlog is written.

const CHUNK = 500;

export interface InputFigures {
  records: number;
  seconds: number;
  avgValueBytes: number;
}

/** Creates the prefix's schema, desired and audit topics (as the config says) and writes one record per node. */
export async function writeDesiredBacklog(
  kafka: Kafka,
  config: RowkubeConfig,
  nodes: readonly BenchNode[],
): Promise<InputFigures> {
  const prefix = config.kafka.topicPrefix;
  // The audit topic too, so that its reader can follow it from before the sink starts.
  await ensureSinkTopics(kafka, config);

  const publisher = new SchemaPublisher(schemasTopic(prefix));
  const schemaMessages: Message[] = [];
  const messages: Message[] = [];
  let valueBytes = 0;
  for (const { update, provenance } of nodes) {
    const encoded = encodeDesired(desiredTopic(prefix), update, config.forms, provenance);
    for (const record of publisher.recordsFor(encoded.schemas))
      schemaMessages.push({ key: record.key, value: record.value });
    const { topic: _topic, ...message } = encoded.message;
    messages.push(message);
    valueBytes += (message.value as Buffer | null)?.length ?? 0;
  }

  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const t0 = performance.now();
  try {
    // Schemas before the records that name them: a reader never meets an unknown id.
    await producer.send({ topic: publisher.topic, messages: schemaMessages });
    for (let i = 0; i < messages.length; i += CHUNK)
      await producer.send({ topic: desiredTopic(prefix), messages: messages.slice(i, i + CHUNK) });
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return {
    records: messages.length,
    seconds: round2((performance.now() - t0) / 1000),
    avgValueBytes: Math.round(valueBytes / Math.max(1, messages.length)),
  };
}
