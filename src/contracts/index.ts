// What crosses a stage boundary: the desired record, the audit event, topic
// names, consumer groups and transactional ids, canonical JSON and the content
// hash, the metrics port the stages report to and a wait's outcome. Plain types and pure
// functions only; the Avro codecs of these records are in src/kafka.
export {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditEvent,
  type AuditObject,
  type AuditProvenance,
  commitLatencyMs,
  type DecodedAuditEvent,
  isAuditAction,
  type StageDurations,
  type StageTimes,
  stageDurations,
} from './audit-event.js';
export { canonicalJson, contentHash } from './canonical-json.js';
export {
  type ControlRecord,
  decodeControl,
  encodeControl,
  type FormRecord,
  formKey,
  type HeldRecord,
  heldKey,
  type RecordedFormVersion,
  type ReleaseRecord,
  ROLLOUT_STATES,
  type RolloutRequestRecord,
  type RolloutState,
  releaseKey,
  rolloutKey,
} from './control-record.js';
export type { DesiredResourceValue, DesiredValue, Provenance } from './desired-record.js';
export { FORM_VERSION_ANNOTATION, formVersion, type VersionedForm } from './form-version.js';
export { type InputTopic, inputTopics } from './input-topics.js';
export {
  isNodeState,
  NODE_STATES,
  type NodeObjectStatus,
  type NodeState,
  type NodeStatus,
} from './node-status.js';
export {
  type CommittedDesired,
  errorCodeOf,
  type PipelineMetrics,
  type StageName,
} from './pipeline-metrics.js';
export {
  captureLeaseName,
  captureTransactionalId,
  defaultInstanceName,
  processorGroupId,
  processorTransactionalId,
  sinkGroupId,
} from './stage-identities.js';
export { tableLabel } from './table-label.js';
export {
  auditTopic,
  changeTopic,
  checkedTopicName,
  controlTopic,
  desiredTopic,
  MAX_TOPIC_NAME_LENGTH,
  offsetsTopic,
  schemaHistoryTopic,
  schemasTopic,
  statusTopic,
  topicNameProblem,
} from './topic-names.js';
export { nodeStatusJson, type WaitOutcome, type WaitOutcomeJson, waitOutcomeJson } from './wait-outcome.js';
