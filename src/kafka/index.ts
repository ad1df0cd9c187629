// The Kafka side of rowkube: Avro change envelopes, the schema and offsets
// topics, the transactional change sink and `tail`. Other folders import from
// here.

export { isValidAvroName, toAvroName } from './avro-names.js';
export { Attr, connectorOf, SOURCE_RECORD, type TableAvroSchemas, tableAvroSchemas } from './avro-schemas.js';
export { avroType, bigintLongType } from './avro-type.js';
export {
  ChangeEncoder,
  type EncodedChange,
  type OutgoingMessage,
  type SourceContext,
} from './change-encoder.js';
export { type JsonValue, toJsonValue } from './json-value.js';
export {
  KafkaChangeSink,
  type KafkaChangeSinkOptions,
  type KafkaChangeSinkStats,
} from './kafka-change-sink.js';
export { createKafka, type KafkaClientOptions } from './kafka-client.js';
export { parsePosition, positionRecord, readLastPosition, readPositions } from './offset-store.js';
export { type ChangeEnvelope, decodeJson, decodeNative, type RawRecord } from './record-decoder.js';
export { SchemaCodec } from './schema-codec.js';
export {
  canonicalSchemaText,
  KEY_SCHEMA_HEADER,
  type RegisteredSchema,
  registerSchema,
  schemaIdOfText,
  VALUE_SCHEMA_HEADER,
} from './schema-id.js';
export { SchemaPublisher, SchemaRegistry, type SchemaResolver } from './schema-registry.js';
export { chunksBySize, MAX_SEND_BYTES } from './size-chunks.js';
export { type TailOptions, type TailRecord, tailTopic, tailToStream } from './tail.js';
export { readTopic, type TopicRecord } from './topic-reader.js';
export {
  auditTopic,
  changeTopic,
  desiredTopic,
  ensureTopics,
  offsetsTopic,
  schemasTopic,
  type TopicKind,
  type TopicSpec,
} from './topics.js';
export {
  CAPTURE_TRANSACTION_TIMEOUT_MS,
  openTransactionalProducer,
  type TransactionalProducerOptions,
} from './transactional-producer.js';
