import { describe, expect, it } from 'vitest';
import {
  decodeProgress,
  encodeProgress,
  IncrementalSnapshotState,
  keyText,
  type PlannedChunk,
} from '../../connectors/incremental-snapshot.js';
import { executeSnapshotRow, parseSignal } from '../../connectors/signal-table.js';
import type { Row, RowChange, TableSchema } from '../../src/core/change-event.js';

const tenants: TableSchema = {
  source: 'app',
  database: 'app',
  table: 'tenants',
  columns: [
    { name: 'id', kind: 'int', nullable: false, sourceType: 'int' },
    { name: 'plan', kind: 'string', nullable: true, sourceType: 'varchar(16)' },
  ],
  primaryKey: ['id'],
};
const other: TableSchema = { ...tenants, table: 'flags' };

const row = (id: number, plan = `p${id}`): Row => ({ id, plan });
const update = (id: number, plan: string, table = tenants): RowChange => ({
  op: 'u',
  table,
  before: row(id),
  after: row(id, plan),
});
const remove = (id: number): RowChange => ({ op: 'd', table: tenants, before: { id }, after: null });

/** Plans a chunk and reads `ids` for it, as the sink wrapper does between the two watermarks. */
function readChunk(state: IncrementalSnapshotState, ids: number[], n = 1): PlannedChunk {
  const plan = state.plan(`low${n}`, `high${n}`);
  if (!plan) throw new Error('nothing planned');
  state.chunkRead(
    plan,
    tenants,
    ids.map((id) => row(id)),
  );
  return plan;
}

function emitted(state: IncrementalSnapshotState, high: string) {
  const outcome = state.watermark(high);
  if (outcome.kind !== 'closed') throw new Error(`not closed: ${outcome.kind}`);
  return {
    ids: outcome.rows.map((r) => r.after?.id),
    more: outcome.more,
    rows: outcome.rows,
    superseded: outcome.superseded,
  };
}

describe('connectors > incremental snapshot > window', () => {
  it('emits the chunk as op r at the high watermark when nothing changed', () => {
    const state = new IncrementalSnapshotState(undefined, 3);
    expect(state.request('s1', ['tenants'])).toBe(true);
    const plan = readChunk(state, [1, 2, 3]);
    expect(plan).toMatchObject({ table: 'tenants', after: null, limit: 3 });
    expect(state.watermark('low1')).toEqual({ kind: 'opened' });
    const out = emitted(state, 'high1');
    expect(out.ids).toEqual([1, 2, 3]);
    expect(out.rows[0]).toEqual({ op: 'r', table: tenants, before: null, after: row(1) });
    expect(out.more).toBe(true);
  });

  it('drops a key the log changed inside the window: the log event is newer', () => {
    const state = new IncrementalSnapshotState(undefined, 3);
    state.request('s1', ['tenants']);
    readChunk(state, [1, 2, 3]);
    state.watermark('low1');
    state.change('tenants', update(2, 'gold'));
    expect(emitted(state, 'high1')).toMatchObject({ ids: [1, 3], superseded: 1 });
  });

  it('drops a key deleted inside the window', () => {
    const state = new IncrementalSnapshotState(undefined, 3);
    state.request('s1', ['tenants']);
    readChunk(state, [1, 2, 3]);
    state.watermark('low1');
    state.change('tenants', remove(3));
    expect(emitted(state, 'high1').ids).toEqual([1, 2]);
  });

  it('drops the whole chunk when the table was emptied inside the window (a change without rows: TRUNCATE)', () => {
    const state = new IncrementalSnapshotState(undefined, 3);
    state.request('s1', ['tenants']);
    readChunk(state, [1, 2, 3]);
    state.watermark('low1');
    state.change('tenants', { op: 'd', table: tenants, before: null, after: null });
    expect(emitted(state, 'high1')).toMatchObject({ ids: [], superseded: 3 });
  });

  it('keeps keys changed before the low watermark: the chunk already holds them', () => {
    const state = new IncrementalSnapshotState(undefined, 3);
    state.request('s1', ['tenants']);
    readChunk(state, [1, 2, 3]);
    state.change('tenants', update(1, 'before-low'));
    state.watermark('low1');
    expect(emitted(state, 'high1').ids).toEqual([1, 2, 3]);
  });

  it('ignores changes after the window closed, and of other tables', () => {
    const state = new IncrementalSnapshotState(undefined, 2);
    state.request('s1', ['tenants']);
    readChunk(state, [1, 2]);
    state.watermark('low1');
    state.change('flags', update(1, 'x', other));
    expect(emitted(state, 'high1').ids).toEqual([1, 2]);
    state.change('tenants', update(1, 'after-high'));
    readChunk(state, [3, 4], 2);
    state.watermark('low2');
    expect(emitted(state, 'high2').ids).toEqual([3, 4]);
  });

  it('collects window keys even when the window opens before the chunk was read', () => {
    const state = new IncrementalSnapshotState(undefined, 3);
    state.request('s1', ['tenants']);
    const plan = state.plan('low1', 'high1') as PlannedChunk;
    state.watermark('low1');
    state.change('tenants', update(1, 'gold'));
    state.chunkRead(plan, tenants, [row(1), row(2)]);
    expect(emitted(state, 'high1').ids).toEqual([2]);
  });

  it('ignores watermarks of other chunks and another process', () => {
    const state = new IncrementalSnapshotState(undefined, 3);
    expect(state.watermark('low1')).toEqual({ kind: 'ignored' });
    state.request('s1', ['tenants']);
    readChunk(state, [1]);
    expect(state.watermark('stale-high')).toEqual({ kind: 'ignored' });
    expect(state.watermark('low1')).toEqual({ kind: 'opened' });
    expect(state.watermark('low1')).toEqual({ kind: 'ignored' });
  });

  it('refuses a high watermark that arrives before its chunk was read', () => {
    const state = new IncrementalSnapshotState(undefined, 3);
    state.request('s1', ['tenants']);
    state.plan('low1', 'high1');
    expect(() => state.watermark('high1')).toThrow(/before its chunk was read/);
  });
});

describe('connectors > incremental snapshot > chunks', () => {
  it('continues after the last key of a full chunk, and ends the table at a short one', () => {
    const state = new IncrementalSnapshotState(undefined, 2);
    state.request('s1', ['tenants']);
    readChunk(state, [1, 2], 1);
    state.watermark('low1');
    emitted(state, 'high1');
    expect(state.progress()).toEqual({ queue: [{ signal: 's1', table: 'tenants' }], lastKey: [2], done: [] });
    const plan = readChunk(state, [3], 2);
    expect(plan.after).toEqual([2]);
    state.watermark('low2');
    expect(emitted(state, 'high2')).toMatchObject({ ids: [3], more: false });
    expect(state.active).toBe(false);
    expect(state.progress()).toEqual({ queue: [], lastKey: null, done: ['s1'] });
  });

  it('advances past a full chunk even when the window removed its last row', () => {
    const state = new IncrementalSnapshotState(undefined, 2);
    state.request('s1', ['tenants']);
    readChunk(state, [1, 2]);
    state.watermark('low1');
    state.change('tenants', remove(2));
    expect(emitted(state, 'high1').ids).toEqual([1]);
    expect(state.progress()?.lastKey).toEqual([2]);
  });

  it('an empty chunk ends the table', () => {
    const state = new IncrementalSnapshotState(undefined, 2);
    state.request('s1', ['tenants']);
    readChunk(state, []);
    state.watermark('low1');
    expect(emitted(state, 'high1')).toEqual({ ids: [], more: false, rows: [], superseded: 0 });
    expect(state.progress()?.done).toEqual(['s1']);
  });

  it('runs queued tables one after the other, and reports a signal done after its last table', () => {
    const state = new IncrementalSnapshotState(undefined, 5);
    expect(state.request('s1', ['tenants', 'flags'])).toBe(true);
    expect(state.request('s2', ['tenants'])).toBe(false);
    readChunk(state, [1]);
    state.watermark('low1');
    expect(emitted(state, 'high1').more).toBe(true);
    expect(state.current).toEqual({ signal: 's1', table: 'flags' });
    expect(state.plan('low2', 'high2')).toMatchObject({ table: 'flags', after: null });
  });

  it('a signal naming no table is done at once', () => {
    const state = new IncrementalSnapshotState(undefined, 5);
    expect(state.request('s1', [])).toBe(false);
    expect(state.progress()).toEqual({ queue: [], lastKey: null, done: ['s1'] });
  });

  it('resumes from stored progress with a new chunk after the last emitted key', () => {
    const stored = { queue: [{ signal: 's1', table: 'tenants' }], lastKey: [40], done: [] };
    const state = new IncrementalSnapshotState(stored, 10);
    expect(state.active).toBe(true);
    expect(state.inWindow).toBe(false);
    expect(state.plan('a', 'b')).toMatchObject({ table: 'tenants', after: [40] });
  });
});

describe('connectors > incremental snapshot > progress codec', () => {
  it('round-trips 64-bit integers and bytes in keys', () => {
    const progress = {
      queue: [{ signal: 's', table: 'public.t' }],
      lastKey: [12345678901234567890n, Buffer.from([0, 255]), 'x', 1.5, true],
      done: ['a'],
    };
    const text = encodeProgress(progress);
    expect(typeof text).toBe('string');
    expect(decodeProgress(text)).toEqual(progress);
    expect(encodeProgress(undefined)).toBeNull();
    expect(decodeProgress(null)).toBeUndefined();
  });

  it('names what is wrong with a damaged stored progress', () => {
    expect(() => decodeProgress('{')).toThrow(/not JSON/);
    expect(() => decodeProgress('{"queue":[1],"lastKey":null,"done":[]}')).toThrow(/queue must be/);
    expect(() => decodeProgress('{"queue":[],"lastKey":3,"done":[]}')).toThrow(/lastKey must be/);
    expect(() => decodeProgress('{"queue":[],"lastKey":[{"x":1}],"done":[]}')).toThrow(/key value/);
  });

  it('key text is equal for equal keys', () => {
    expect(keyText([1n, Buffer.from('a')])).toBe(keyText([1n, Buffer.from('a')]));
    expect(keyText([1])).not.toBe(keyText(['1']));
  });
});

describe('connectors > signal table > parseSignal', () => {
  it('reads an execute-snapshot row, in rowkube and Debezium spelling', () => {
    expect(parseSignal(executeSnapshotRow('x', ['tenants']) as unknown as Row)).toEqual({
      kind: 'execute-snapshot',
      id: 'x',
      tables: ['tenants'],
    });
    expect(
      parseSignal({ id: 'y', type: 'execute-snapshot', data: '{"data-collections":["a","a"]}' }),
    ).toEqual({ kind: 'execute-snapshot', id: 'y', tables: ['a'] });
  });

  it('reads watermarks, and says why a row is refused', () => {
    expect(parseSignal({ id: 'w', type: 'snapshot-window-open', data: null })).toEqual({
      kind: 'watermark',
      id: 'w',
    });
    expect(parseSignal({ id: 'z', type: 'pause', data: null })).toMatchObject({
      kind: 'invalid',
      problem: /unknown signal type/,
    });
    expect(parseSignal({ id: 'z', type: 'execute-snapshot', data: 'nope' })).toMatchObject({
      problem: /not JSON/,
    });
    expect(parseSignal({ id: 'z', type: 'execute-snapshot', data: '{"tables":[]}' })).toMatchObject({
      problem: /names no tables/,
    });
  });
});
