// PostgreSQL types → ColumnKind, and PostgreSQL's text form of a value → the
// ColumnKind representation (src/core/change-event.ts). Pure functions.
//
// Both the snapshot (a SELECT with every type parser replaced by the identity)
// and the stream (pgoutput with the pg-types parsers replaced, see
// postgres-source.ts) hand over PostgreSQL's text output, so one converter
// serves both and no value ever passes through a lossy JS parser: pg-types turns
// int8 into a number (wrong past 2^53) and timestamps into Date (milliseconds
// only, and in the process time zone). The text form depends on session
// settings, so every connection is opened with SESSION_OPTIONS
// (postgres-connection.ts): DateStyle ISO, TimeZone UTC, bytea_output hex,
// IntervalStyle postgres, extra_float_digits 3.
//
// Type → kind (docs/types.md draws on this table):
//   bool → boolean; int2, int4 → int; int8, oid → long (bigint);
//   float4 → float, the shortest decimal of the 32-bit value (src/core/float32.ts);
//   float8 → double (NaN, ±Infinity are JS's NaN, ±Infinity, for float4 too);
//   numeric → decimal, the exact text ("-12.3400"); numeric's special values
//     have no decimal spelling and pass through as the strings "NaN",
//     "Infinity" and "-Infinity" (an Avro string encoding keeps them; a bytes
//     decimal encoding must map them, typically to null plus a log line);
//   json, jsonb → json, the text as PostgreSQL prints it (jsonb normalised);
//   bytea → bytes (Buffer);
//   date → "YYYY-MM-DD"; time → "HH:MM:SS[.ffffff]";
//   timestamp → local-timestamp "YYYY-MM-DDTHH:MM:SS[.ffffff]";
//   timestamptz → timestamp "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" in UTC;
//     a fraction, when not zero, always has six digits (microseconds); years BC
//     use ISO 8601's astronomical numbering (1 BC = "0000", 2 BC = "-0001");
//     "infinity" and "-infinity" pass through as those strings;
//   a domain → the kind of its base type;
//   everything else → string in PostgreSQL's text form: text, varchar, char,
//     name, uuid, enum types, interval, timetz, money, inet, cidr, macaddr,
//     bit, xml, tsvector, ranges, composite types, and arrays. Arrays stay in
//     the text form ("{1,2,NULL}", '{"a b",c}') rather than JSON: converting
//     each element would need every element type's rules (timestamps, bytea,
//     nested arrays, NULL versus "NULL"), and the text form is lossless.

import type { ColumnKind } from '../../src/core/change-event.js';
import { shortestFloat32 } from '../../src/core/float32.js';

/** What the catalog (pg_type) says about a type that is not in BUILTIN_KINDS. */
export interface PgTypeInfo {
  oid: number;
  /** pg_type.typname, e.g. "mood" or "_int4". */
  name: string;
  /** pg_type.typtype: b base, c composite, d domain, e enum, p pseudo, r range, m multirange. */
  type: string;
  /** pg_type.typcategory, e.g. "A" for arrays. */
  category: string;
  /** pg_type.typbasetype: the base type of a domain, 0 otherwise. */
  baseOid: number;
}

/** Built-in type OIDs (stable across PostgreSQL versions: src/include/catalog/pg_type.dat). */
export const PgOid = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  float4: 700,
  float8: 701,
  money: 790,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

/** The built-in types whose kind is not `string`; any other built-in type is a string. */
const BUILTIN_KINDS: ReadonlyMap<number, ColumnKind> = new Map<number, ColumnKind>([
  [PgOid.bool, 'boolean'],
  [PgOid.bytea, 'bytes'],
  [PgOid.int8, 'long'],
  [PgOid.int2, 'int'],
  [PgOid.int4, 'int'],
  [PgOid.oid, 'long'],
  [PgOid.json, 'json'],
  [PgOid.jsonb, 'json'],
  [PgOid.float4, 'float'],
  [PgOid.float8, 'double'],
  [PgOid.numeric, 'decimal'],
  [PgOid.date, 'date'],
  [PgOid.time, 'time'],
  [PgOid.timestamp, 'local-timestamp'],
  [PgOid.timestamptz, 'timestamp'],
]);

/** OIDs below this are assigned by initdb; user-defined types (enums, domains) are above. */
const FIRST_NORMAL_OBJECT_ID = 16384;

/**
 * The kind of a column of type `oid`. `describe` supplies catalog facts about
 * types that are not built in; a domain takes its base type's kind, anything
 * unknown is a string (see the table at the top of this file).
 */
export function kindOfType(oid: number, describe?: (oid: number) => PgTypeInfo | undefined): ColumnKind {
  for (let depth = 0; depth < 32; depth++) {
    const builtin = BUILTIN_KINDS.get(oid);
    if (builtin) return builtin;
    const info = describe?.(oid);
    if (info?.type !== 'd' || info.baseOid === 0) return 'string';
    oid = info.baseOid;
  }
  return 'string';
}

/** True when kindOfType needs catalog facts about `oid` to answer exactly (a domain, enum, …). */
export function needsTypeInfo(oid: number): boolean {
  return !BUILTIN_KINDS.has(oid) && oid >= FIRST_NORMAL_OBJECT_ID;
}

/**
 * Converts PostgreSQL's text output of a value of kind `kind` into the kind's
 * representation. `text` must come from a session with SESSION_OPTIONS.
 * Throws a RangeError on text that the kind cannot hold: that is a bug or a
 * session-setting mismatch, never a value to pass on silently.
 */
export function fromPgText(kind: ColumnKind, text: string): unknown {
  switch (kind) {
    case 'string':
    case 'json':
    case 'decimal':
      return text;
    case 'boolean':
      if (text === 't' || text === 'true') return true;
      if (text === 'f' || text === 'false') return false;
      throw new RangeError(`not a PostgreSQL boolean: ${JSON.stringify(text)}`);
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw new RangeError(`not an integer: ${JSON.stringify(text)}`);
      return Number(text);
    }
    case 'long':
      if (!/^-?\d+$/.test(text)) throw new RangeError(`not an integer: ${JSON.stringify(text)}`);
      return BigInt(text);
    case 'float':
    case 'double': {
      const value = Number(text);
      if (Number.isNaN(value) && text !== 'NaN') throw new RangeError(`not a float: ${JSON.stringify(text)}`);
      return kind === 'float' ? shortestFloat32(value) : value;
    }
    case 'bytes':
      return byteaFromText(text);
    case 'date':
      return dateFromText(text);
    case 'time':
      return timeFromText(text);
    case 'local-timestamp':
      return localTimestampFromText(text);
    case 'timestamp':
      return timestampFromText(text);
  }
}

/** bytea in the hex format ("\x0a1b"), or the legacy escape format if a server forces it. */
export function byteaFromText(text: string): Buffer {
  if (text.startsWith('\\x')) {
    const hex = text.slice(2);
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
      throw new RangeError(`not a hex bytea: ${JSON.stringify(text.slice(0, 40))}`);
    }
    return Buffer.from(hex, 'hex');
  }
  // Escape format: printable bytes as themselves, "\\" for a backslash, "\ooo" octal.
  const bytes: number[] = [];
  for (let i = 0; i < text.length; ) {
    const char = text.charCodeAt(i);
    if (char !== 0x5c) {
      bytes.push(char);
      i += 1;
    } else if (text[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 2;
    } else {
      const octal = text.slice(i + 1, i + 4);
      if (!/^[0-3][0-7]{2}$/.test(octal)) throw new RangeError(`bad escape in bytea at ${i}`);
      bytes.push(Number.parseInt(octal, 8));
      i += 4;
    }
  }
  return Buffer.from(bytes);
}

const DATE = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const TIMESTAMP =
  /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?)?( BC)?$/;

function fraction(digits: string | undefined): string {
  if (!digits || /^0+$/.test(digits)) return '';
  return `.${digits.padEnd(6, '0')}`;
}

/** ISO 8601 year: astronomical numbering for BC (1 BC = 0000), four digits at least. */
function isoYear(year: number): string {
  const digits = String(Math.abs(year)).padStart(4, '0');
  return year < 0 ? `-${digits}` : digits;
}

function yearOf(digits: string, bc: string | undefined): number {
  const year = Number(digits);
  return bc ? 1 - year : year;
}

export function dateFromText(text: string): string {
  if (text === 'infinity' || text === '-infinity') return text;
  const m = DATE.exec(text);
  if (!m) throw new RangeError(`not an ISO date: ${JSON.stringify(text)}`);
  return `${isoYear(yearOf(m[1] as string, m[4]))}-${m[2]}-${m[3]}`;
}

export function timeFromText(text: string): string {
  const m = TIME.exec(text);
  if (!m) throw new RangeError(`not a time: ${JSON.stringify(text)}`);
  return `${m[1]}:${m[2]}:${m[3]}${fraction(m[4])}`;
}

export function localTimestampFromText(text: string): string {
  if (text === 'infinity' || text === '-infinity') return text;
  const m = TIMESTAMP.exec(text);
  if (!m || m[8]) throw new RangeError(`not a timestamp without time zone: ${JSON.stringify(text)}`);
  return `${isoYear(yearOf(m[1] as string, m[12]))}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${fraction(m[7])}`;
}

/**
 * timestamptz text ("2024-05-06 07:08:09.123456+00", any offset) → UTC with
 * "Z". Sessions run with TimeZone UTC, so the offset is normally +00; another
 * offset is still converted correctly, to the microsecond.
 */
export function timestampFromText(text: string): string {
  if (text === 'infinity' || text === '-infinity') return text;
  const m = TIMESTAMP.exec(text);
  if (!m?.[8]) throw new RangeError(`not a timestamp with time zone: ${JSON.stringify(text)}`);
  const year = yearOf(m[1] as string, m[12]);
  const sign = m[8] === '-' ? -1 : 1;
  const offsetSeconds = sign * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
  const frac = fraction(m[7]);
  if (offsetSeconds === 0) return `${isoYear(year)}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac}Z`;
  // Date copes with any year when set through setUTCFullYear (Date.UTC maps 0–99 to 1900–1999).
  const date = new Date(0);
  date.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  date.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]) - offsetSeconds, 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${isoYear(date.getUTCFullYear())}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${frac}Z`
  );
}
