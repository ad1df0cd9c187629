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
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError(`canonicalJson: a ${prototype?.constructor?.name ?? 'object'} has no JSON form`);
  }
  const members = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
  return `{${members.join(',')}}`;
}

/** sha256 (hex) of canonicalJson(value): equal for deep-equal values, whatever their key order. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
