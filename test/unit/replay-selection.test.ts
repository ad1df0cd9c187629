import { describe, expect, it } from 'vitest';
import type { DesiredValue } from '../../src/contracts/index.js';
import { type DesiredRecord, ReplayState, recordTimeMs } from '../../src/replay/index.js';

function value(uid: string, commitTsMs: number | null, version = 'v1', error = false): DesiredValue {
  return {
    id: `web/${uid}`,
    form: 'web',
    hub: 'tenants',
    uid,
    resources: [],
    error: error ? { code: 'ROWKUBE_ERR_TEMPLATE', message: 'no', resourceId: null, path: null } : null,
    contentHash: version,
    provenance: {
      source: 'appdb',
      table: 'tenants',
      position: null,
      commitTsMs: commitTsMs === null ? null : BigInt(commitTsMs),
      primaryKey: `{"id":"${uid}"}`,
    },
  };
}

const put = (uid: string, commitTsMs: number | null, version: string, timestampMs = 0): DesiredRecord => ({
  nodeId: `web/${uid}`,
  value: value(uid, commitTsMs, version),
  timestampMs,
});
const tombstone = (uid: string, timestampMs: number): DesiredRecord => ({
  nodeId: `web/${uid}`,
  value: null,
  timestampMs,
});

function select(records: DesiredRecord[], atMs?: number) {
  const state = new ReplayState(atMs);
  for (const record of records) state.offer(record);
  const selection = state.selection();
  return {
    ...selection,
    live: Object.fromEntries(selection.live.map((v) => [v.id, v.contentHash])),
    unrendered: selection.unrendered.map((v) => v.id),
  };
}

describe('Replay > ReplayState', () => {
  const history = [
    put('a', 1_000, 'a1', 1_010),
    put('b', 1_100, 'b1', 1_110),
    put('a', 2_000, 'a2', 2_010),
    tombstone('b', 2_500),
    put('c', 3_000, 'c1', 3_010),
  ];

  it('without a time, rebuilds each node as of its last record', () => {
    const selection = select(history);
    expect(selection.live).toEqual({ 'web/a': 'a2', 'web/c': 'c1' });
    expect(selection.deleted).toEqual(['web/b']);
    expect(selection.later).toEqual([]);
    expect(selection.records).toBe(5);
  });

  it('as of a time between versions, takes the earlier version; a node deleted later is live, one created later absent', () => {
    const selection = select(history, 1_500);
    expect(selection.live).toEqual({ 'web/a': 'a1', 'web/b': 'b1' });
    expect(selection.deleted).toEqual([]);
    expect(selection.later).toEqual(['web/c']);
    expect(selection.laterRecords).toBe(3);
  });

  it('counts a record committed exactly at the time as happened', () => {
    expect(select(history, 2_000).live).toEqual({ 'web/a': 'a2', 'web/b': 'b1' });
  });

  it('times a tombstone by its Kafka timestamp, which carries no commit time', () => {
    expect(select(history, 2_499).deleted).toEqual([]);
    expect(select(history, 2_500).deleted).toEqual(['web/b']);
  });

  it('uses the Kafka timestamp of a record whose commit time is unknown', () => {
    const record = put('d', null, 'd1', 4_242);
    expect(recordTimeMs(record)).toBe(4_242);
    expect(select([record], 4_241).later).toEqual(['web/d']);
  });

  it('goes by the commit time, not by the order records were written in', () => {
    // A re-render written late (a lookup changed) still carries its own commit time.
    const selection = select([put('a', 1_000, 'a1', 5_000), put('a', 9_000, 'a2', 5_001)], 6_000);
    expect(selection.live).toEqual({ 'web/a': 'a1' });
  });

  it('leaves out a node whose last record is a rendering error, and names it', () => {
    const broken: DesiredRecord = {
      nodeId: 'web/a',
      value: value('a', 3_000, 'a3', true),
      timestampMs: 3_010,
    };
    const selection = select([...history, broken]);
    expect(selection.live).toEqual({ 'web/c': 'c1' });
    expect(selection.unrendered).toEqual(['web/a']);
    expect(select([...history, broken], 2_000).live['web/a']).toBe('a2');
  });

  it('takes a node back that was deleted and created again', () => {
    const selection = select([...history, put('b', 4_000, 'b2', 4_010)]);
    expect(selection.live['web/b']).toBe('b2');
    expect(selection.deleted).toEqual([]);
  });
});
