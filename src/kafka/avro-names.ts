import { createHash } from 'node:crypto';

// Avro names are [A-Za-z_][A-Za-z0-9_]*, while database identifiers can hold
// dashes, spaces, unicode or start with a digit. Such names are rewritten into
// a valid Avro name; the original travels in a schema attribute so that
// decoders give callers back the database's name.

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Names that are valid Avro but that avsc cannot carry as a record field:
 * its generated record constructor assigns `this.__proto__`, which changes the
 * object's prototype instead of setting a field.
 */
const UNSAFE_NAMES = new Set(['__proto__']);

export function isValidAvroName(name: string): boolean {
  return AVRO_NAME.test(name) && !UNSAFE_NAMES.has(name);
}

/**
 * A valid Avro name for `name`: the name itself when it is valid, otherwise
 * every disallowed character replaced by `_`, a leading `_` when it would
 * start with a digit, and a suffix of 8 hex characters of the SHA-256 of the
 * original. The suffix depends only on the original name, so the result is
 * stable whatever other columns a table has, and "my-col" and "my col" do not
 * both become "my_col".
 */
export function toAvroName(name: string): string {
  if (isValidAvroName(name)) return name;
  let base = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
  const suffix = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  return `${base}_${suffix}`;
}

/** A valid Avro namespace from database-side parts (source, database, schema, table). */
export function toAvroNamespace(parts: readonly string[]): string {
  return parts.map(toAvroName).join('.');
}
