import {
  chunksBySize,
  type OutgoingRecord,
  type RecordProducer,
  type RegisteredSchema,
  SchemaPublisher,
  toKafkaError,
  type WireFormat,
} from '../../kafka/index.js';

// What the sink's two record writers (audit events, node status) share: the
// schemas of their topic made known before the first record, and sends the
// broker accepts.

/**
 * Publishes the key and value schemas of `topic` to `<prefix>._schemas`
 * (embedded), or registers them under the topic's subjects (registry; a
 * refusal or a registry that is away rejects here, before any record).
 */
export async function publishTopicSchemas(
  producer: RecordProducer,
  wire: WireFormat,
  topic: string,
  schemasTopic: string,
  schemas: { key: RegisteredSchema; value: RegisteredSchema },
  about: string,
): Promise<void> {
  await wire.prepare(
    topic,
    [
      { part: 'key', schema: schemas.key },
      { part: 'value', schema: schemas.value },
    ],
    about,
  );
  const records = wire.encode(
    new SchemaPublisher(schemasTopic)
      .recordsFor([schemas.key, schemas.value])
      .map((s) => ({ topic: schemasTopic, key: s.key, value: s.value })),
  );
  try {
    if (records.length > 0)
      await producer.send(
        schemasTopic,
        records.map((s) => ({ key: s.key, value: s.value })),
      );
  } catch (error) {
    throw toKafkaError(`publishing the schemas of ${about} to ${schemasTopic}`, error);
  }
}

/** In order, in sends the broker accepts: under load many nodes' records queue up for one send. */
export async function sendInChunks(
  producer: RecordProducer,
  topic: string,
  messages: OutgoingRecord[],
): Promise<void> {
  for (const chunk of chunksBySize(messages)) await producer.send(topic, chunk);
}
