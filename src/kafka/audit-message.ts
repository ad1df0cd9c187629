import { type AuditEvent, type DecodedAuditEvent, isAuditAction } from '../contracts/audit-event.js';
import { AUDIT_KEY_SCHEMA, AUDIT_VALUE_SCHEMA, auditKeyCodec, auditValueCodec } from './audit-schema.js';
import type { OutgoingMessage } from './change-encoder.js';
import { KEY_SCHEMA_HEADER, type RegisteredSchema, VALUE_SCHEMA_HEADER } from './schema-id.js';

// AuditEvent ↔ one `<prefix>.audit` message: key = node id, value = the event,
// both schema ids in headers.

export interface EncodedAudit {
  message: OutgoingMessage;
  /** Published to `<prefix>._schemas` before or with the message. */
  schemas: RegisteredSchema[];
}

export function encodeAudit(topic: string, event: AuditEvent): EncodedAudit {
  // The wire type is a plain string: nothing else stops a misspelt action.
  if (!isAuditAction(event.action)) {
    throw new TypeError(
      `encodeAudit: '${String(event.action)}' is not an audit action (node ${event.nodeId})`,
    );
  }
  return {
    message: {
      topic,
      key: auditKeyCodec.encode(event.nodeId),
      value: auditValueCodec.encode(event),
      headers: { [KEY_SCHEMA_HEADER]: AUDIT_KEY_SCHEMA.id, [VALUE_SCHEMA_HEADER]: AUDIT_VALUE_SCHEMA.id },
    },
    schemas: [AUDIT_KEY_SCHEMA, AUDIT_VALUE_SCHEMA],
  };
}

/**
 * The event in a value written with AUDIT_VALUE_SCHEMA. A consumer that may
 * meet other schema versions resolves the writer schema by the value header
 * through `<prefix>._schemas` instead (docs/audit.md).
 */
export function decodeAudit(value: Buffer): DecodedAuditEvent {
  return auditValueCodec.decode(value) as DecodedAuditEvent;
}
