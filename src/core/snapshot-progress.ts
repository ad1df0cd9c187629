import type { Row, SourcePosition, TableSchema } from './change-event.js';
import { ErrorCode, RowkubeError } from './errors.js';

// How far a snapshot is, stored in the source's offset record
// (`<prefix>._offsets`) with every chunk the snapshot commits, so that
// capture resumes a crashed snapshot where it stopped instead of from zero.
//
// The offset record of a source is always one of:
//   (nothing)                         first start: take a snapshot
//   { snapshotRequested: <ms> }       `rowkube snapshot --source`: take a new one, replacing the old rows
//   { …position, snapshot: "<json>" } a snapshot in progress; position = where the stream starts after it
//   { …position }                     streaming from the position
// `…position` is the connector's own stored form (OffsetCodec.serialize). The
// progress is one JSON text so that the record stays a flat SourcePosition,
// and connectors' codecs, which read their own keys only, need not know it.
//
// Pure: no I/O.

/** The stored field holding the progress of a snapshot in progress, as JSON. */
export const SNAPSHOT_FIELD = 'snapshot';
/** The stored field of a requested re-snapshot: when it was asked for, ms since epoch. */
export const SNAPSHOT_REQUESTED_FIELD = 'snapshotRequested';

/**
 * One primary-key column value as the database driver gave it, in a form
 * JSON keeps exactly: text and numbers as they are, bytes as base64.
 */
export type KeyPart = string | number | { base64: string };

export interface SnapshotProgress {
  /** Tables whose every row is committed, by their label ("db.table", "schema.table"). */
  done: string[];
  /** The table being read; absent between tables. */
  table?: string;
  /** The primary key of the last committed row of `table`, in key order; absent before its first chunk. */
  lastKey?: KeyPart[];
  /** Rows committed so far, every table. */
  rows: number;
  /** Estimated rows of every table when the snapshot began (statistics; 0 when unknown). */
  estimated: number;
  /** When the snapshot began, ms since epoch. */
  startedAtMs: number;
  /**
   * A re-snapshot: rows the change topics hold from before startedAtMs whose
   * key the snapshot does not read again become deletions.
   */
  replace: boolean;
}

/** What the stored offset record says capture must do next. */
export type StoredCaptureState<Position> =
  | { phase: 'snapshot'; replace: boolean }
  | { phase: 'resume-snapshot'; from: Position; progress: SnapshotProgress }
  | { phase: 'stream'; position: Position };

/** A fresh progress record: nothing read yet. */
export function newSnapshotProgress(options: {
  estimated: number;
  startedAtMs: number;
  replace: boolean;
}): SnapshotProgress {
  return { done: [], rows: 0, ...options };
}

/** The record stored with a snapshot chunk: where the stream will start, and how far the snapshot is. */
export function snapshotInProgressPosition(from: SourcePosition, progress: SnapshotProgress): SourcePosition {
  return { ...from, [SNAPSHOT_FIELD]: JSON.stringify(progress) };
}

/** The record `rowkube snapshot --source` stores: the next start takes a new snapshot that replaces the old rows. */
export function snapshotRequestedPosition(requestedAtMs: number): SourcePosition {
  return { [SNAPSHOT_REQUESTED_FIELD]: requestedAtMs };
}

/**
 * Reads a stored offset record. `parse` is the connector's codec; it is not
 * called for a requested snapshot, which has no stream position. Throws a
 * RowkubeError (CONFIG) naming the source for a progress record that is not
 * one rowkube wrote.
 */
export function decodeStoredState<Position>(
  source: string,
  stored: SourcePosition | undefined,
  parse: (stored: SourcePosition) => Position,
): StoredCaptureState<Position> {
  if (stored === undefined) return { phase: 'snapshot', replace: false };
  if (stored[SNAPSHOT_REQUESTED_FIELD] !== undefined && stored[SNAPSHOT_FIELD] === undefined)
    return { phase: 'snapshot', replace: true };
  const text = stored[SNAPSHOT_FIELD];
  if (text === undefined || text === null) return { phase: 'stream', position: parse(stored) };
  return { phase: 'resume-snapshot', from: parse(stored), progress: parseProgress(source, text) };
}

/** Checks a stored progress text field by field; throws a CONFIG RowkubeError saying what is wrong. */
export function parseProgress(source: string, text: unknown): SnapshotProgress {
  const fail = (what: string): never => {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `source ${source}: the stored snapshot progress ${what}: ${String(text).slice(0, 200)}; ` +
        `run 'rowkube snapshot --source ${source}' to start the snapshot over`,
    );
  };
  if (typeof text !== 'string') return fail('is not text');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('is not an object');
  const p = value as Record<string, unknown>;
  if (!Array.isArray(p.done) || !p.done.every((t) => typeof t === 'string'))
    return fail('has no list of done tables');
  for (const field of ['rows', 'estimated', 'startedAtMs'] as const) {
    const n = p[field];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return fail(`has no valid ${field}`);
  }
  if (p.table !== undefined && typeof p.table !== 'string') return fail('names no valid current table');
  if (p.lastKey !== undefined) {
    if (p.table === undefined) return fail('has a last key but no current table');
    if (!Array.isArray(p.lastKey) || p.lastKey.length === 0 || !p.lastKey.every(isKeyPart))
      return fail('has an invalid last key');
  }
  return {
    done: p.done as string[],
    ...(p.table === undefined ? {} : { table: p.table as string }),
    ...(p.lastKey === undefined ? {} : { lastKey: p.lastKey as KeyPart[] }),
    rows: p.rows as number,
    estimated: p.estimated as number,
    startedAtMs: p.startedAtMs as number,
    replace: p.replace === true,
  };
}

function isKeyPart(value: unknown): value is KeyPart {
  if (typeof value === 'string' || typeof value === 'number') return true;
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { base64?: unknown }).base64 === 'string' &&
    Object.keys(value).length === 1
  );
}

/** A driver value of a primary-key column as a KeyPart; throws a TypeError for one JSON cannot keep. */
export function toKeyPart(value: unknown, column: string): KeyPart {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return { base64: value.toString('base64') };
  throw new TypeError(
    `primary key column ${column}: cannot keep ${typeof value} ${String(value)} as a resume key`,
  );
}

/** A KeyPart back into a query parameter. */
export function fromKeyPart(part: KeyPart): string | number | Buffer {
  return typeof part === 'object' ? Buffer.from(part.base64, 'base64') : part;
}

/**
 * The identity of a row's primary key as text, from rowkube's representation
 * (change-event.ts): the same for a row read by a snapshot and for the row as
 * decoded back from its change topic, so the two can be matched.
 */
export function rowKeyText(schema: Pick<TableSchema, 'primaryKey'>, row: Row): string {
  return JSON.stringify(
    schema.primaryKey.map((column) => {
      const value = row[column];
      if (typeof value === 'bigint') return `${value}`;
      if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
      if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
      // Numbers and their text must match: an int column decodes to a number either way.
      return typeof value === 'number' ? `${value}` : (value ?? null);
    }),
  );
}

/** For logs and readiness: "120000 of ~1000000 rows (12 %)". */
export function describeProgress(progress: Pick<SnapshotProgress, 'rows' | 'estimated'>): string {
  const { rows, estimated } = progress;
  if (estimated <= 0) return `${rows} rows`;
  return `${rows} of ~${estimated} rows (${Math.min(100, Math.floor((100 * rows) / estimated))} %)`;
}
