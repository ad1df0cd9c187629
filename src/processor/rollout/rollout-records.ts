import {
  type AuditAction,
  type AuditEvent,
  encodeControl,
  type FormRecord,
  formKey,
  type RecordedFormVersion,
} from '../../contracts/index.js';
import type { FormConfig } from '../../core/config/form-schema.js';
import { encodeAudit } from '../../kafka/index.js';
import type { HoldOutput } from '../runner/hold-records.js';

// The records a form's rollout commits (form-rollouts.ts decides when): the
// form record in `<prefix>._control` and the rollout's audit events, which
// are form-level: key `rollout/<form>`, no object.

/** The node id rollout audit events carry (and their record key): consumers find a form's rollout under it. */
export function rolloutAuditKey(form: string): string {
  return `rollout/${form}`;
}

export function formRecordOut(out: HoldOutput, topic: string, record: FormRecord): void {
  out.records.push({ topic, key: formKey(record.form), value: encodeControl(record) });
}

export function rolloutAudit(
  out: HoldOutput,
  topic: string,
  form: Pick<FormConfig, 'name' | 'hub'>,
  action: AuditAction,
  reason: string,
  context: { nowMs: number; fieldManager: string },
): void {
  const appliedAtMs = BigInt(context.nowMs);
  const event: AuditEvent = {
    nodeId: rolloutAuditKey(form.name),
    hub: form.hub,
    form: form.name,
    resourceId: null,
    object: null,
    action,
    reason,
    errorCode: null,
    provenance: { source: '', table: '', position: null, commitTsMs: null },
    appliedAtMs,
    latencyMs: null,
    fieldManager: context.fieldManager,
  };
  const encoded = encodeAudit(topic, event);
  out.records.push(encoded.message);
  out.schemas.push(...encoded.schemas);
}

/** A recorded definition as the FormConfig it was recorded from (JSON keeps every field). */
export function definitionOf(recorded: RecordedFormVersion | null): FormConfig | undefined {
  return recorded === null ? undefined : (recorded.definition as FormConfig);
}

export function recorded(version: string, form: FormConfig): RecordedFormVersion {
  return { version, definition: form };
}
