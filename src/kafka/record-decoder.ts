import type { Op, Row } from '../core/change-event.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { type JsonValue, toJsonValue } from './json-value.js';
import { unframe } from './registry/confluent-frame.js';
import { KEY_SCHEMA_HEADER, VALUE_SCHEMA_HEADER } from './schema-id.js';
import type { SchemaResolver } from './schema-registry.js';

// Decodes a record of any rowkube topic, in either wire format. Avro keys and
// values name their writer schema in a header (embedded `_schemas` topic), or
// carry a registry id after a zero magic byte (Confluent wire format, with
// `schemaRegistry` set); records with neither (`_schemas`, `_offsets`) are
// JSON or plain text, which never starts with a zero byte.

/** A change topic's value as decoded: database column names, native values (bigint, Buffer). */
export interface ChangeEnvelope {
  before: Row | null;
  after: Row | null;
  op: Op;
  source: {
    connector: 'mysql' | 'postgres';
    name: string;
    db: string;
    schema: string | null;
    table: string;
    snapshot: boolean;
    file: string | null;
    pos: bigint | null;
    gtid: string | null;
    lsn: string | null;
    txId: string | null;
    ts_ms: bigint;
  };
  ts_ms: bigint;
  /** Columns whose value the database did not send (PostgreSQL unchanged TOAST); null in the row. */
  unchanged: string[];
}

export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** When a consumer received the record, ms since epoch: where a stage's share of the latency starts. */
  receivedAtMs?: number;
}

/** Key and value with native values: an Avro record is an object with database column names. */
export async function decodeNative(
  record: RawRecord,
  resolver: SchemaResolver,
): Promise<{ key: unknown; value: unknown }> {
  return {
    key: await decodePart(record.key, record.headers[KEY_SCHEMA_HEADER], resolver, false),
    value: await decodePart(record.value, record.headers[VALUE_SCHEMA_HEADER], resolver, true),
  };
}

/** The key alone, as decodeNative decodes it: for a reader that keeps the value packed (packed-value.ts). */
export async function decodeNativeKey(record: RawRecord, resolver: SchemaResolver): Promise<unknown> {
  return decodePart(record.key, record.headers[KEY_SCHEMA_HEADER], resolver, false);
}

/** Key and value as JSON values (bigint → string, bytes → base64: see json-value.ts). */
export async function decodeJson(
  record: RawRecord,
  resolver: SchemaResolver,
): Promise<{ key: JsonValue; value: JsonValue }> {
  const { key, value } = await decodeNative(record, resolver);
  return { key: toJsonValue(key), value: toJsonValue(value) };
}

async function decodePart(
  bytes: Buffer | null,
  schemaId: string | undefined,
  resolver: SchemaResolver,
  /** Values are often JSON (a stored position); keys are names, kept as text even when they look like JSON. */
  parseJson: boolean,
): Promise<unknown> {
  if (bytes === null) return null;
  if (schemaId !== undefined) return (await resolver.resolve(schemaId)).decode(bytes);
  const framed = unframe(bytes);
  if (framed !== undefined) {
    if (resolver.resolveRegistered === undefined) {
      throw new RowkubeError(
        ErrorCode.CONFIG,
        `a record is in the Confluent wire format (schema registry id ${framed.id}), but this reader has no schema registry: configure schemaRegistry`,
      );
    }
    return (await resolver.resolveRegistered(framed.id)).decode(framed.body);
  }
  const text = bytes.toString('utf8');
  // Not UTF-8 (the round trip changed it): not text, so show the bytes.
  if (!Buffer.from(text, 'utf8').equals(bytes)) return bytes;
  if (!parseJson) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
