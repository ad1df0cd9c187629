import { isNodeState, type NodeStatus } from '../contracts/node-status.js';
import type { OutgoingMessage } from './change-encoder.js';
import { KEY_SCHEMA_HEADER, type RegisteredSchema, VALUE_SCHEMA_HEADER } from './schema-id.js';
import { STATUS_KEY_SCHEMA, STATUS_VALUE_SCHEMA, statusKeyCodec, statusValueCodec } from './status-schema.js';

// NodeStatus ↔ one `<prefix>.status` message: key = node id, value = the
// status (or null: the tombstone that removes a Deleted node), schema ids in
// headers.

export interface EncodedStatus {
  message: OutgoingMessage;
  /** Published to `<prefix>._schemas` before or with the message. */
  schemas: RegisteredSchema[];
}

export function encodeStatus(topic: string, status: NodeStatus): EncodedStatus {
  // The wire type is a plain string: nothing else stops a misspelt state.
  if (!isNodeState(status.state)) {
    throw new TypeError(
      `encodeStatus: '${String(status.state)}' is not a node state (node ${status.nodeId})`,
    );
  }
  return {
    message: {
      topic,
      key: statusKeyCodec.encode(status.nodeId),
      value: statusValueCodec.encode(status),
      headers: { [KEY_SCHEMA_HEADER]: STATUS_KEY_SCHEMA.id, [VALUE_SCHEMA_HEADER]: STATUS_VALUE_SCHEMA.id },
    },
    schemas: [STATUS_KEY_SCHEMA, STATUS_VALUE_SCHEMA],
  };
}

/** The tombstone of a node: compaction then drops its status for good. */
export function encodeStatusTombstone(topic: string, nodeId: string): EncodedStatus {
  return {
    message: {
      topic,
      key: statusKeyCodec.encode(nodeId),
      value: null,
      headers: { [KEY_SCHEMA_HEADER]: STATUS_KEY_SCHEMA.id },
    },
    schemas: [STATUS_KEY_SCHEMA],
  };
}

/**
 * The status in a value written with STATUS_VALUE_SCHEMA. Readers that may
 * meet other schema versions decode through `<prefix>._schemas` (StatusView).
 */
export function decodeStatus(value: Buffer): NodeStatus {
  return toNodeStatus(statusValueCodec.decode(value));
}

/** A decoded status value as plain data (avsc hands records back as class instances). */
export function toNodeStatus(value: unknown): NodeStatus {
  const v = value as NodeStatus;
  return {
    nodeId: v.nodeId,
    hub: v.hub,
    form: v.form,
    state: v.state,
    stateSinceMs: v.stateSinceMs,
    updatedAtMs: v.updatedAtMs,
    objects: v.objects.map((o) => ({
      resourceId: o.resourceId,
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.namespace ?? null,
      name: o.name,
      lastAction: o.lastAction,
      ready: o.ready,
    })),
    source: v.source,
    table: v.table,
    position: v.position ?? null,
    commitTsMs: v.commitTsMs ?? null,
    contentHash: v.contentHash,
    error: v.error == null ? null : { code: v.error.code, message: v.error.message, at: v.error.at },
    formVersion: v.formVersion ?? null,
    ...(v.cluster ? { cluster: v.cluster } : {}),
  };
}
