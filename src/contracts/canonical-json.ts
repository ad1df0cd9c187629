import * as crypto from 'node:crypto';

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
  // Loops and string appends rather than entries/filter/sort/map/join: the
  // processor hashes every rendered node and the sink every object it applies,
  // and the intermediate arrays were a visible share of a bulk's CPU profile.
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ',';
      text += canonicalJson(value[i] ?? null);
    }
    return `${text}]`;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError(`canonicalJson: a ${prototype?.constructor?.name ?? 'object'} has no JSON form`);
  }
  const record = value as Record<string, unknown>;
  // The default sort orders strings by UTF-16 code units.
  const keys = Object.keys(record).sort();
  let text = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    if (!first) text += ',';
    first = false;
    text += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${text}}`;
}

/** sha256 (hex) of canonicalJson(value): equal for deep-equal values, whatever their key order. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/**
 * crypto.hash (Node 20.12+) is a one-shot digest at half the cost of a Hash
 * object per call, which the processor and the sink pay per node and per
 * object; older Node 20 releases (package.json allows them) take the object.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

function sha256Hex(text: string): string {
  return oneShot === undefined
    ? crypto.createHash('sha256').update(text).digest('hex')
    : oneShot('sha256', text, 'hex');
}
