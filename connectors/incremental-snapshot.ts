import type { Row, RowChange, TableSchema } from '../src/core/change-event.js';

// The watermark algorithm of an incremental snapshot (DBLog, Debezium's
// incremental snapshots), as plain state over plain data: no I/O here. The
// database-specific parts (the chunk SELECT, the watermark INSERT) and the
// sink wrapper that feeds this state from the stream live in
// incremental-snapshot-connector.ts and connectors/<db>/<db>-incremental.ts.
//
// Per chunk of a table, in primary-key order:
//   1. write a low watermark row to the signal table (its own transaction);
//   2. SELECT the next chunk: WHERE pk > lastKey ORDER BY pk LIMIT n;
//   3. write a high watermark row.
// The stream then meets the low watermark (the window opens), the changes
// committed between the two watermarks, and the high watermark (it closes).
// A change of the table inside the window is newer than, or as new as, the
// chunk's copy of that row: the key leaves the chunk. At the high watermark
// the chunk rows left are emitted as op 'r', in the stream's order, so a
// later change of the same row always follows its 'r'. A change before the
// low watermark is in the chunk already; one after the high watermark comes
// after the 'r'. Nothing is lost, and nothing stale is emitted last.
//
// The state never waits for the chunk SELECT: a window collects the keys it
// saw, and the chunk is subtracted when the window closes. The high
// watermark is written after the SELECT returned, so the rows are always
// there by the time it arrives.

/** Primary key values of a row, in key order, in the ColumnKind representation. */
export type KeyValues = readonly unknown[];

/** One table of one execute-snapshot signal. */
export interface SnapshotRequest {
  /** The id of the signal row that asked for it. */
  signal: string;
  /** The table, as the connector labels it (mysql "tenants", postgres "public.tenants"). */
  table: string;
}

/**
 * What is stored with the source's position, so that a restart resumes the
 * incremental snapshot where the last committed chunk ended.
 */
export interface IncrementalProgress {
  /** Tables still to snapshot, in request order; the first is in progress. */
  queue: SnapshotRequest[];
  /** Primary key of the last row of the first table emitted so far; null: from its first row. */
  lastKey: KeyValues | null;
  /** Signal ids whose tables are all done, newest last (what `rowkube snapshot --wait` watches). */
  done: string[];
}

/** How many finished signal ids the progress keeps. */
export const DONE_KEPT = 20;

/** A chunk to read: the caller writes `low`, reads the chunk, writes `high`, then calls chunkRead(). */
export interface PlannedChunk {
  table: string;
  /** Read rows whose key is greater than this; null: from the first row. */
  after: KeyValues | null;
  limit: number;
  low: string;
  high: string;
}

interface Window {
  plan: PlannedChunk;
  request: SnapshotRequest;
  open: boolean;
  /** Keys of the table changed inside the window. */
  changed: Set<string>;
  /** The table was emptied inside the window (TRUNCATE): no chunk row is current. */
  emptied: boolean;
  /** Set by chunkRead(); in key order. */
  chunk?: { schema: TableSchema; rows: { key: string; row: Row }[]; lastKey: KeyValues | null };
}

/** What the stream tells the state; and what to do next. */
export type WatermarkOutcome =
  /** Not a watermark of the chunk in progress (a stale one, or one of another process): ignore it. */
  | { kind: 'ignored' }
  | { kind: 'opened' }
  /** Emit `rows` as op 'r' now, then plan the next chunk if `more`. */
  | {
      kind: 'closed';
      rows: RowChange[];
      more: boolean /** Chunk rows the window's changes superseded. */;
      superseded: number;
    };

export class IncrementalSnapshotState {
  private queue: SnapshotRequest[];
  private lastKey: KeyValues | null;
  private done: string[];
  private window: Window | undefined;

  constructor(
    progress: IncrementalProgress | undefined,
    private readonly chunkSize: number,
  ) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1)
      throw new RangeError(`incremental snapshot chunk size must be a positive integer, got ${chunkSize}`);
    this.queue = progress ? [...progress.queue] : [];
    this.lastKey = progress?.lastKey ?? null;
    this.done = progress ? [...progress.done] : [];
  }

  /** A table is being snapshotted or waits for its turn. */
  get active(): boolean {
    return this.queue.length > 0;
  }

  /** A chunk is planned and its high watermark not yet seen. */
  get inWindow(): boolean {
    return this.window !== undefined;
  }

  /** The table in progress, if any. */
  get current(): SnapshotRequest | undefined {
    return this.queue[0];
  }

  /**
   * An execute-snapshot signal: queues its tables. Returns true when nothing
   * was running before, so the caller plans the first chunk now.
   */
  request(signal: string, tables: readonly string[]): boolean {
    const idle = this.queue.length === 0;
    if (tables.length === 0) {
      this.finished(signal);
      return false;
    }
    for (const table of tables) this.queue.push({ signal, table });
    if (idle) this.lastKey = null;
    return idle;
  }

  /**
   * The next chunk of the table in progress, with the ids its watermarks
   * carry; undefined when nothing is queued. A chunk planned before and
   * never closed (its watermarks were lost with a restart) is replaced.
   */
  plan(low: string, high: string): PlannedChunk | undefined {
    const request = this.queue[0];
    if (!request) {
      this.window = undefined;
      return undefined;
    }
    const plan: PlannedChunk = {
      table: request.table,
      after: this.lastKey,
      limit: this.chunkSize,
      low,
      high,
    };
    this.window = { plan, request, open: false, changed: new Set(), emptied: false };
    return plan;
  }

  /** The chunk SELECT of `plan` returned `rows` (key order) described by `schema`. */
  chunkRead(plan: PlannedChunk, schema: TableSchema, rows: readonly Row[]): void {
    const window = this.window;
    if (window?.plan !== plan) return; // Replaced meanwhile: its watermarks will be ignored.
    const keyed = rows.map((row) => ({ key: keyText(keyOf(schema, row)), row }));
    const last = rows.at(-1);
    window.chunk = { schema, rows: keyed, lastKey: last ? keyOf(schema, last) : null };
  }

  /** A signal-table row with this id and type was inserted, in stream order. */
  watermark(id: string): WatermarkOutcome {
    const window = this.window;
    if (!window) return { kind: 'ignored' };
    if (id === window.plan.low && !window.open) {
      window.open = true;
      return { kind: 'opened' };
    }
    if (id !== window.plan.high) return { kind: 'ignored' };
    const chunk = window.chunk;
    if (!chunk) {
      // The high watermark is written only after the SELECT returned; seeing it first is a bug.
      throw new Error(`high watermark ${id} of ${window.plan.table} arrived before its chunk was read`);
    }
    this.window = undefined;
    const rows: RowChange[] = chunk.rows
      .filter(({ key }) => !window.emptied && !window.changed.has(key))
      .map(({ row }) => ({ op: 'r', table: chunk.schema, before: null, after: row }));
    if (chunk.rows.length < window.plan.limit) {
      // A short chunk is the table's last.
      this.queue.shift();
      this.lastKey = null;
      if (!this.queue.some((r) => r.signal === window.request.signal)) this.finished(window.request.signal);
    } else {
      this.lastKey = chunk.lastKey;
    }
    const superseded = chunk.rows.length - rows.length;
    return { kind: 'closed', rows, more: this.queue.length > 0, superseded };
  }

  /**
   * A change the stream delivers (not the signal table's). Inside the
   * window of its table, its keys leave the chunk: the change is at least as
   * new as the chunk's copy.
   */
  change(table: string, change: RowChange): void {
    const window = this.window;
    if (!window?.open || window.plan.table !== table) return;
    // A change without rows is about the whole table (TRUNCATE): every chunk row is older.
    if (change.before === null && change.after === null) window.emptied = true;
    for (const row of [change.before, change.after]) {
      if (row && change.table.primaryKey.every((name) => name in row))
        window.changed.add(keyText(keyOf(change.table, row)));
    }
  }

  /** The state to store with the position of the transaction just ended; undefined when there is none. */
  progress(): IncrementalProgress | undefined {
    if (this.queue.length === 0 && this.done.length === 0) return undefined;
    return { queue: [...this.queue], lastKey: this.lastKey, done: [...this.done] };
  }

  private finished(signal: string): void {
    this.done = [...this.done.filter((s) => s !== signal), signal].slice(-DONE_KEPT);
  }
}

/** The primary key values of `row`, in key order. */
export function keyOf(schema: TableSchema, row: Row): KeyValues {
  return schema.primaryKey.map((name) => row[name]);
}

/** A key as text, equal for equal keys whatever path (snapshot, stream) decoded them. */
export function keyText(key: KeyValues): string {
  return JSON.stringify(key.map(encodeKeyValue));
}

// Progress is stored as JSON in the position (a string field: positions hold
// scalars). Key values keep their kind: a 64-bit integer as a decimal string,
// bytes as base64.

function encodeKeyValue(value: unknown): unknown {
  if (typeof value === 'bigint') return { long: value.toString() };
  if (Buffer.isBuffer(value)) return { bytes: value.toString('base64') };
  return value;
}

function decodeKeyValue(value: unknown, where: string): unknown {
  if (value === null || typeof value !== 'object') return value;
  const { long, bytes } = value as { long?: unknown; bytes?: unknown };
  if (typeof long === 'string' && /^-?\d+$/.test(long)) return BigInt(long);
  if (typeof bytes === 'string') return Buffer.from(bytes, 'base64');
  throw new TypeError(`${where}: a key value is not a scalar, {long} or {bytes}: ${JSON.stringify(value)}`);
}

/** The stored form: JSON text, or null when there is nothing to store. */
export function encodeProgress(progress: IncrementalProgress | undefined): string | null {
  if (progress === undefined) return null;
  return JSON.stringify({
    queue: progress.queue,
    lastKey: progress.lastKey === null ? null : progress.lastKey.map(encodeKeyValue),
    done: progress.done,
  });
}

/**
 * The stored form back. Throws a TypeError naming what is wrong (the
 * position was edited by hand, or written by something else).
 */
export function decodeProgress(
  text: unknown,
  where = 'stored incremental snapshot progress',
): IncrementalProgress | undefined {
  if (text === null || text === undefined) return undefined;
  if (typeof text !== 'string') throw new TypeError(`${where} is not JSON text: ${JSON.stringify(text)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`${where} is not JSON: ${(error as Error).message}`);
  }
  const { queue, lastKey, done } = (parsed ?? {}) as Record<string, unknown>;
  const isRequest = (r: unknown): r is SnapshotRequest =>
    typeof (r as SnapshotRequest)?.signal === 'string' && typeof (r as SnapshotRequest)?.table === 'string';
  if (!Array.isArray(queue) || !queue.every(isRequest))
    throw new TypeError(`${where}: queue must be a list of {signal, table}, got ${JSON.stringify(queue)}`);
  if (lastKey !== null && !Array.isArray(lastKey))
    throw new TypeError(`${where}: lastKey must be a list or null, got ${JSON.stringify(lastKey)}`);
  if (!Array.isArray(done) || !done.every((s) => typeof s === 'string'))
    throw new TypeError(`${where}: done must be a list of signal ids, got ${JSON.stringify(done)}`);
  return {
    queue: queue.map(({ signal, table }) => ({ signal, table })),
    lastKey: lastKey === null ? null : lastKey.map((v) => decodeKeyValue(v, where)),
    done: [...done],
  };
}
