import { createHash } from 'node:crypto';

// One text per value, whatever order its object keys were built in, so that
// equal nodes hash equal and the processor can skip producing a desired record
// that did not change.

/**
 * JSON with object keys sorted (by UTF-16 code units, like Array.sort) and
 * members that are undefined left out, as JSON.stringify does. Only JSON data
 * is accepted: a bigint, a Buffer or a non-finite number would have no stable
 * text, so they throw TypeError (a bug upstream, not a row problem).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
  }
  // Loops that append to one string rather than map/filter/sort/join over
  // entries: this runs for every node a processor renders (a take-over renders them all).
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + canonicalJson(value[i] ?? null);
    return `${text}]`;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError(`canonicalJson: a ${prototype?.constructor?.name ?? 'object'} has no JSON form`);
  }
  const record = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, as the contract says.
  const keys = Object.keys(record).sort();
  let text = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    text += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
    first = false;
  }
  return `${text}}`;
}

/** sha256 (hex) of canonicalJson(value): equal for deep-equal values, whatever their key order. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
