// The audit topic: one event per action on the cluster, its schemas and codec.
export {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditEvent,
  type AuditObject,
  type AuditProvenance,
  commitLatencyMs,
  isAuditAction,
} from './audit-event.js';
export { type DecodedAuditEvent, decodeAudit, type EncodedAudit, encodeAudit } from './audit-message.js';
export { AUDIT_KEY_SCHEMA, AUDIT_VALUE_SCHEMA, auditKeyCodec, auditValueCodec } from './audit-schema.js';
