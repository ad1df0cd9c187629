import { createHash } from 'node:crypto';
import { quoteForMessage } from './render-error.js';

// rowkube's own Liquid filters, with parity to Lynq's template functions
// (toHost, trunc63, sha1sum, fromJson, int/float/bool, sprig's b64enc/b64dec)
// under Liquid's snake_case names. Each is a plain function: it returns a value
// or throws an Error whose message starts with the filter's name, and the
// renderer adds where it happened. Unlike Lynq, nothing falls back to a zero or
// an empty map on bad input: a wrong replica count must stop the node, not
// scale it to 0.

/** Filters whose result keeps its type when they end a leaf that is a single `{{ … }}`. */
export const TYPED_FILTERS = new Set(['to_int', 'to_float', 'to_bool', 'from_json']);

function describe(value: unknown): string {
  if (typeof value === 'string') return quoteForMessage(value, 80);
  if (value === null || value === undefined)
    return 'null (use | default: … first when the value may be missing)';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Scalars only: a filter that receives an object was pointed at the wrong variable. */
function textOf(filter: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  throw new Error(`${filter}: expects text, got ${describe(value)}`);
}

const INTEGER = /^\s*[+-]?\d+\s*$/;
const DECIMAL = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * "3", 3, 3n → 3. No parseInt leniency ("3abc" → 3, "1.5" → 1): a value that is
 * not exactly an integer is an error, and so is one beyond 2^53.
 */
export function toInt(value: unknown): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && INTEGER.test(value)) n = Number(value);
  if (n === undefined || !Number.isSafeInteger(n))
    throw new Error(`to_int: ${describe(value)} is not an integer`);
  return n === 0 ? 0 : n; // no -0 in a manifest
}

/** "1.5", 1.5 → 1.5; Lynq's `float`. */
export function toFloat(value: unknown): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && DECIMAL.test(value)) n = Number(value);
  if (n === undefined || !Number.isFinite(n)) throw new Error(`to_float: ${describe(value)} is not a number`);
  return n === 0 ? 0 : n;
}

const TRUE = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', 'off', '0']);

/**
 * The spellings databases use for booleans: MySQL's 1/0, PostgreSQL's t/f,
 * and the words people type. Anything else is an error rather than false.
 */
export function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE.has(word)) return true;
    if (FALSE.has(word)) return false;
  }
  throw new Error(`to_bool: ${describe(value)} is not a boolean (true/false, yes/no, on/off, 1/0)`);
}

/**
 * "https://Acme.example.com:8443/x" → "acme.example.com"; a bare
 * "host:port/path" works too. Lowercase because DNS is, and an international
 * name comes back in its punycode form, which is what Kubernetes accepts.
 */
export function toHost(value: unknown): string {
  const text = textOf('to_host', value).trim();
  let host = '';
  try {
    host = new URL(text.includes('://') ? text : `http://${text}`).hostname.toLowerCase();
  } catch {
    // reported below with the text
  }
  host = host.replace(/^\[(.*)\]$/, '$1'); // IPv6 literal
  if (!host) throw new Error(`to_host: no host in ${describe(value)}`);
  return host;
}

/**
 * First 63 characters (a DNS label's and a label value's limit), then trailing
 * '-', '.' and '_' are trimmed, because a cut in "tenant-name" can end on the
 * separator and a label must end with a letter or digit. Lynq's trunc63 only
 * cuts. Counts code points so a cut never splits a character.
 */
export function trunc63(value: unknown): string {
  return Array.from(textOf('trunc63', value))
    .slice(0, 63)
    .join('')
    .replace(/[-._]+$/, '');
}

/**
 * Any text → a DNS-1123 label: accents dropped, lowercase, every run of other
 * characters becomes '-', separators trimmed from both ends, at most 63
 * characters. A valid label comes back unchanged. Text with no letter or digit
 * at all has no label to give and is an error.
 */
export function dnsLabel(value: unknown): string {
  const label = textOf('dns_label', value)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  if (!label)
    throw new Error(`dns_label: ${describe(value)} has no letter or digit to make a DNS label from`);
  return label;
}

/** Hex SHA-1 of the UTF-8 text: Lynq's sha1sum, for stable short names from long values. */
export function sha1(value: unknown): string {
  return createHash('sha1').update(textOf('sha1', value), 'utf8').digest('hex');
}

export function b64enc(value: unknown): string {
  return Buffer.from(textOf('b64enc', value), 'utf8').toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict where Buffer is lenient: bad base64 or bytes that are not UTF-8 text are errors, not garbage. */
export function b64dec(value: unknown): string {
  const text = textOf('b64dec', value).trim();
  if (!BASE64.test(text)) throw new Error(`b64dec: ${describe(value)} is not base64`);
  try {
    return utf8.decode(Buffer.from(text, 'base64'));
  } catch {
    throw new Error(`b64dec: ${describe(value)} does not decode to UTF-8 text`);
  }
}

/**
 * JSON text → value. A value that is already structured (a JSON column the
 * connector decoded) passes through, so a form does not depend on how a
 * column type is mapped. A "__proto__" key is refused: a manifest never needs
 * one, and a copy of such an object elsewhere could swap its prototype.
 */
export function fromJson(value: unknown): unknown {
  // A copy, so that the rendered manifest never shares objects with the row.
  if (typeof value !== 'string')
    return typeof value === 'object' && value !== null ? structuredClone(value) : value;
  try {
    return JSON.parse(value, (key, v) => {
      if (key === '__proto__') throw new Error('the key "__proto__" is not allowed');
      return v;
    });
  } catch (error) {
    throw new Error(`from_json: invalid JSON in ${describe(value)}: ${(error as Error).message}`);
  }
}

/** Name → implementation, as registered on the Liquid engine. */
export const rowkubeFilters: Readonly<Record<string, (value: unknown) => unknown>> = {
  to_int: toInt,
  to_float: toFloat,
  to_bool: toBool,
  to_host: toHost,
  trunc63,
  dns_label: dnsLabel,
  sha1,
  b64enc,
  b64dec,
  from_json: fromJson,
};
