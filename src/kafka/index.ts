// The Kafka side of rowkube: Avro change envelopes, the codecs of the desired
// and audit records, the schema and offsets topics, the transactional change
// sink, the stages' consumer loop, the compacted-topic reader, the status
// topic's reader (StatusView) and a node's history (nodeHistory), and `tail`.
// Other folders import from here; this folder is the only one that imports
// kafkajs. Topic names are in src/contracts.

export type { Kafka } from 'kafkajs';

export { decodeAudit, type EncodedAudit, encodeAudit } from './audit-message.js';
export { AUDIT_KEY_SCHEMA, AUDIT_VALUE_SCHEMA, auditKeyCodec, auditValueCodec } from './audit-schema.js';
export { isValidAvroName, toAvroName } from './avro-names.js';
export { Attr, connectorOf, SOURCE_RECORD, type TableAvroSchemas, tableAvroSchemas } from './avro-schemas.js';
export { avroType, bigintLongType } from './avro-type.js';
export { KafkaCapturedRows, type KafkaCapturedRowsOptions } from './captured-rows.js';
export {
  ChangeEncoder,
  type EncodedChange,
  type OutgoingMessage,
  type SourceContext,
} from './change-encoder.js';
export { checkKafkaAccess } from './check-kafka-access.js';
export {
  type CompactedEntry,
  foldCompactedTopic,
  foldPackedTopic,
  LatestByKey,
  type ReadCompactedTopicOptions,
  readCompactedTopic,
} from './compacted-topic.js';
export {
  type ConsumerStageOptions,
  runConsumerStage,
  type StageAttempt,
  type StageHandler,
  type TrackedHandler,
  type TransactionalHandler,
} from './consumer-loop.js';
export {
  DESIRED_KEY_SCHEMA,
  DESIRED_VALUE_SCHEMA,
  desiredKeyCodec,
  desiredValueCodec,
} from './desired-schema.js';
export type {
  Assignment,
  BatchControls,
  ConsumedBatch,
  ConsumedRecord,
  GroupSettings,
} from './group-consumer.js';
export { type JsonValue, toJsonValue } from './json-value.js';
export { type KafkaAcl, kafkaAclCommands, rowkubeKafkaAcls } from './kafka-acls.js';
export {
  type CommittedOffsets,
  type GroupPartitionOffset,
  KafkaAdmin,
  type PartitionEnds,
} from './kafka-admin.js';
export {
  KafkaChangeSink,
  type KafkaChangeSinkOptions,
  type KafkaChangeSinkStats,
} from './kafka-change-sink.js';
export { createKafka, type KafkaClientOptions } from './kafka-client.js';
export { isFenced, kafkaSecurityFailure, toKafkaError } from './kafka-errors.js';
export { keyPartition } from './key-partition.js';
export { type NodeHistoryOptions, nodeHistory } from './node-history.js';
export { parsePosition, positionRecord, readLastPosition, readPositions } from './offset-store.js';
export { OffsetTracker } from './offset-tracker.js';
export { type PackedValue, packValue, unpackValue } from './packed-value.js';
export {
  type ChangeEnvelope,
  decodeJson,
  decodeNative,
  decodeNativeKey,
  type RawRecord,
} from './record-decoder.js';
export { type OutgoingRecord, RecordProducer, type TopicOutgoingRecord } from './record-producer.js';
export { frame, unframe } from './registry/confluent-frame.js';
export { SchemaRegistryClient } from './registry/registry-client.js';
export { type SubjectPart, subjectName } from './registry/subject-name.js';
export { type RestartingStageOptions, runRestarting } from './restarting-stage.js';
export { SchemaCodec } from './schema-codec.js';
export {
  parseSchemaHistoryValue,
  readSchemaHistory,
  schemaHistoryRecord,
} from './schema-history-store.js';
export {
  canonicalSchemaText,
  KEY_SCHEMA_HEADER,
  type RegisteredSchema,
  registerSchema,
  schemaIdOfText,
  VALUE_SCHEMA_HEADER,
} from './schema-id.js';
export { SchemaPublisher, SchemaRegistry, type SchemaResolver } from './schema-registry.js';
export { SerialQueue } from './serial-queue.js';
export { chunksBySize, MAX_SEND_BYTES } from './size-chunks.js';
export { type RequestSnapshotOptions, requestSnapshot } from './snapshot-request.js';
export { StatusFold, type StatusListener } from './status-fold.js';
export {
  decodeStatus,
  type EncodedStatus,
  encodeStatus,
  encodeStatusTombstone,
  toNodeStatus,
} from './status-message.js';
export {
  STATUS_KEY_SCHEMA,
  STATUS_VALUE_SCHEMA,
  statusKeyCodec,
  statusValueCodec,
} from './status-schema.js';
export { StatusView, type StatusViewOptions } from './status-view.js';
export { type TailOptions, type TailRecord, tailTopic, tailToStream } from './tail.js';
export { headersToText, readTopic, type TopicRecord } from './topic-reader.js';
export { ensureTopics, type TopicKind, type TopicSpec } from './topics.js';
export { TrackedCommits } from './tracked-commits.js';
export {
  type ConsumedOffsets,
  TransactionalOutput,
  type TransactionalOutputOptions,
} from './transactional-output.js';
export {
  CAPTURE_TRANSACTION_TIMEOUT_MS,
  openTransactionalProducer,
  type TransactionalProducerOptions,
} from './transactional-producer.js';
export {
  EMBEDDED_WIRE_FORMAT,
  registryClientFor,
  type TopicSchema,
  type WireFormat,
  type WireRecord,
  wireFormatFor,
} from './wire-format.js';
