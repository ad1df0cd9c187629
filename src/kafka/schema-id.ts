import { createHash } from 'node:crypto';
import { canonicalJson } from '../contracts/index.js';

// Every Avro message names its writer schema by id in a header; the schema
// text is in `<prefix>._schemas` under that id. The id is a fingerprint of the
// text, so writers in different processes agree on ids without coordinating,
// and a reader can check that the text it found is the one the id names.

/** Header with the id of the key's writer schema (every message of a change topic). */
export const KEY_SCHEMA_HEADER = 'rowkube.key.schema';
/** Header with the id of the value's writer schema (absent on tombstones: there is no value). */
export const VALUE_SCHEMA_HEADER = 'rowkube.value.schema';

/** A schema as it is published: its id and the exact text the id was computed from. */
export interface RegisteredSchema {
  id: string;
  text: string;
}

/**
 * The schema as canonical JSON (object keys sorted at every level), so the
 * same schema built by different code (key order of literals) has one text.
 * Array order is kept: field order is part of the binary layout.
 */
export function canonicalSchemaText(schema: unknown): string {
  return canonicalJson(schema);
}

/**
 * First 16 hex characters (64 bits) of the SHA-256 of the canonical text.
 *
 * Unlike Avro's Parsing Canonical Form (which strips everything that does not
 * change the binary encoding), attributes and docs are part of the hash: the
 * original column names (`rowkube.column`) and kinds live in attributes, and a
 * change of `varchar(10)` to `varchar(20)` or a renamed column with the same
 * Avro name must give a new id, or a reader would decode with stale metadata.
 */
export function schemaIdOfText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}

export function registerSchema(schema: unknown): RegisteredSchema {
  const text = canonicalSchemaText(schema);
  return { id: schemaIdOfText(text), text };
}
