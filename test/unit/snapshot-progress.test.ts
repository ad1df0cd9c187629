import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import {
  decodeStoredState,
  describeProgress,
  fromKeyPart,
  newSnapshotProgress,
  parseProgress,
  rowKeyText,
  snapshotInProgressPosition,
  snapshotRequestedPosition,
  toKeyPart,
} from '../../src/core/snapshot-progress.js';

const parse = (stored: Record<string, unknown>) => ({ lsn: String(stored.lsn) });

describe('core > snapshot progress', () => {
  it('reads the four states of an offset record', () => {
    expect(decodeStoredState('s', undefined, parse)).toEqual({ phase: 'snapshot', replace: false });
    expect(decodeStoredState('s', snapshotRequestedPosition(5), parse)).toEqual({
      phase: 'snapshot',
      replace: true,
    });
    expect(decodeStoredState('s', { lsn: '0/10' }, parse)).toEqual({
      phase: 'stream',
      position: { lsn: '0/10' },
    });
    const progress = {
      ...newSnapshotProgress({ estimated: 1000, startedAtMs: 7, replace: true }),
      done: ['public.a'],
      table: 'public.b',
      lastKey: [12, 'x', { base64: 'AAE=' }],
      rows: 500,
    };
    const stored = snapshotInProgressPosition({ lsn: '0/10' }, progress);
    expect(typeof stored.snapshot).toBe('string');
    expect(decodeStoredState('s', stored, parse)).toEqual({
      phase: 'resume-snapshot',
      from: { lsn: '0/10' },
      progress,
    });
  });

  it('round-trips key values through JSON exactly', () => {
    const parts = [
      toKeyPart(42, 'id'),
      toKeyPart('9007199254740993', 'big'),
      toKeyPart(Buffer.from([0, 1]), 'b'),
    ];
    const back = JSON.parse(JSON.stringify(parts)).map(fromKeyPart);
    expect(back).toEqual([42, '9007199254740993', Buffer.from([0, 1])]);
    expect(toKeyPart(12n, 'id')).toBe('12');
    expect(() => toKeyPart(null, 'id')).toThrow(/primary key column id/);
  });

  it('refuses a progress record rowkube did not write, naming the source and the fix', () => {
    const bad = ['{', '[]', '{"done":[],"rows":-1,"estimated":0,"startedAtMs":0}', '{"done":[1]}'];
    for (const text of bad) {
      expect(() => parseProgress('appdb', text), text).toThrow(ErrorCode.CONFIG);
      expect(() => parseProgress('appdb', text), text).toThrow(/rowkube snapshot --source appdb/);
    }
    expect(() =>
      parseProgress('appdb', '{"done":[],"rows":1,"estimated":0,"startedAtMs":0,"lastKey":[1]}'),
    ).toThrow(/last key but no current table/);
  });

  it('matches a snapshot row with the same row decoded from its change topic', () => {
    const schema = { primaryKey: ['tenant', 'id'] };
    expect(rowKeyText(schema, { tenant: 'a', id: 5n, v: 1 })).toBe(
      rowKeyText(schema, { id: 5n, tenant: 'a' }),
    );
    expect(rowKeyText(schema, { tenant: 'a', id: 5n })).not.toBe(rowKeyText(schema, { tenant: 'a', id: 6n }));
    expect(rowKeyText({ primaryKey: ['b'] }, { b: Buffer.from('hi') })).toBe(
      rowKeyText({ primaryKey: ['b'] }, { b: new Uint8Array([104, 105]) }),
    );
  });

  it('describes progress for logs and readiness', () => {
    expect(describeProgress({ rows: 120_000, estimated: 1_000_000 })).toBe('120000 of ~1000000 rows (12 %)');
    expect(describeProgress({ rows: 5, estimated: 0 })).toBe('5 rows');
    expect(describeProgress({ rows: 12, estimated: 10 })).toBe('12 of ~10 rows (100 %)');
  });
});
