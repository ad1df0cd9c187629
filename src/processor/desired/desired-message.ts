import type { DesiredValue, Provenance } from '../../contracts/desired-record.js';
import type { FormConfig } from '../../core/config/form-schema.js';
import {
  DESIRED_KEY_SCHEMA,
  DESIRED_VALUE_SCHEMA,
  desiredKeyCodec,
  desiredValueCodec,
  KEY_SCHEMA_HEADER,
  type OutgoingMessage,
  type RegisteredSchema,
  VALUE_SCHEMA_HEADER,
} from '../../kafka/index.js';
import type { NodeUpdate } from '../materializer/index.js';

// NodeUpdate (+ the change that caused it) → one `<prefix>.desired` message.
// A node that is absent (deleted, inactive, filtered) becomes a tombstone.

export interface EncodedDesired {
  message: OutgoingMessage;
  /** Published to `<prefix>._schemas` before or with the message. */
  schemas: RegisteredSchema[];
}

/** The value a NodeUpdate stands for, or null for a tombstone. */
export function desiredValue(
  update: NodeUpdate,
  forms: readonly Pick<FormConfig, 'name' | 'hub'>[],
  provenance: Provenance,
): DesiredValue | null {
  const { result } = update;
  if (result.kind === 'absent') return null;
  const slash = update.id.indexOf('/');
  const formName = update.id.slice(0, slash);
  const form = forms.find((candidate) => candidate.name === formName);
  if (slash < 0 || form === undefined)
    throw new Error(`desiredValue: node ${update.id} has no configured form`);
  const base = { id: update.id, form: form.name, hub: form.hub, uid: update.id.slice(slash + 1) };
  if (result.kind === 'error') {
    const { code, message, resourceId, path } = result.error;
    return {
      ...base,
      resources: [],
      error: { code, message, resourceId: resourceId ?? null, path: path ?? null },
      contentHash: update.hash,
      provenance,
      formVersion: update.formVersion ?? null,
    };
  }
  return {
    ...base,
    resources: result.resources.map((r) => ({
      id: r.id,
      manifest: JSON.stringify(r.manifest),
      dependIds: r.dependIds,
      waitForReady: r.waitForReady,
      timeoutSeconds: r.timeoutSeconds,
      skipOnDependencyFailure: r.skipOnDependencyFailure,
      creationPolicy: r.creationPolicy,
      deletionPolicy: r.deletionPolicy,
      conflictPolicy: r.conflictPolicy,
      targetNamespace: r.targetNamespace ?? null,
      ignoreFields: r.ignoreFields,
      recreatePolicy: r.recreatePolicy ?? 'Never',
    })),
    error: null,
    contentHash: update.hash,
    provenance,
    formVersion: update.formVersion ?? null,
    // Left out for the default cluster: such records read as before the field existed.
    ...(result.cluster === undefined ? {} : { cluster: result.cluster }),
  };
}

/** The Kafka message for a NodeUpdate: key = node id (Avro string), value = DesiredValue or null. */
export function encodeDesired(
  topic: string,
  update: NodeUpdate,
  forms: readonly Pick<FormConfig, 'name' | 'hub'>[],
  provenance: Provenance,
): EncodedDesired {
  const value = desiredValue(update, forms, provenance);
  const key = desiredKeyCodec.encode(update.id);
  if (value === null) {
    return {
      message: { topic, key, value: null, headers: { [KEY_SCHEMA_HEADER]: DESIRED_KEY_SCHEMA.id } },
      schemas: [DESIRED_KEY_SCHEMA],
    };
  }
  return {
    message: {
      topic,
      key,
      value: desiredValueCodec.encode(value),
      headers: { [KEY_SCHEMA_HEADER]: DESIRED_KEY_SCHEMA.id, [VALUE_SCHEMA_HEADER]: DESIRED_VALUE_SCHEMA.id },
    },
    schemas: [DESIRED_KEY_SCHEMA, DESIRED_VALUE_SCHEMA],
  };
}
