import { describe, expect, it } from 'vitest';
import { emitRowChange } from '../../connectors/postgres/postgres-emitter.js';
import { type TableSchema, UNCHANGED_TOAST } from '../../src/core/change-event.js';

const table: TableSchema = {
  source: 'app',
  database: 'db',
  schema: 'public',
  table: 'tenants',
  columns: [
    { name: 'id', kind: 'long', nullable: false, sourceType: 'bigint' },
    { name: 'name', kind: 'string', nullable: false, sourceType: 'text' },
    { name: 'body', kind: 'string', nullable: true, sourceType: 'text' },
    { name: 'at', kind: 'timestamp', nullable: true, sourceType: 'timestamp with time zone' },
  ],
  primaryKey: ['id'],
};

// Tuples as pg-logical-replication's parser builds them with text parsers: values are
// PostgreSQL text, null is NULL, undefined is a value not sent (unchanged TOAST, or a
// non-key column of a key tuple).
describe('connectors > postgres > emitter', () => {
  it('emits an insert as c with the converted row', () => {
    const change = emitRowChange(table, {
      tag: 'insert',
      new: { id: '9223372036854775807', name: 'a', body: null, at: '2024-01-01 00:00:00.5+00' },
    });
    expect(change).toEqual({
      op: 'c',
      table,
      before: null,
      after: { id: 9223372036854775807n, name: 'a', body: null, at: '2024-01-01T00:00:00.500000Z' },
    });
  });

  it('emits an update without old image (REPLICA IDENTITY DEFAULT, key unchanged) with before null', () => {
    const change = emitRowChange(table, {
      tag: 'update',
      key: null,
      old: null,
      new: { id: '1', name: 'b', body: undefined, at: null },
    });
    expect(change).toEqual({
      op: 'u',
      table,
      before: null,
      after: { id: 1n, name: 'b', body: UNCHANGED_TOAST, at: null },
    });
  });

  it('gives a key change a before holding the old key only', () => {
    const change = emitRowChange(table, {
      tag: 'update',
      key: { id: '1' },
      old: null,
      new: { id: '2', name: 'b', body: 'x', at: null },
    });
    expect(change.op).toBe('u');
    expect(change.before).toEqual({ id: 1n });
    expect(Object.keys(change.before ?? {})).toEqual(['id']);
    expect(change.after).toEqual({ id: 2n, name: 'b', body: 'x', at: null });
  });

  it('uses the whole old row under REPLICA IDENTITY FULL', () => {
    const change = emitRowChange(table, {
      tag: 'update',
      key: null,
      old: { id: '1', name: 'a', body: 'big', at: null },
      new: { id: '1', name: 'b', body: 'big', at: null },
    });
    expect(change.before).toEqual({ id: 1n, name: 'a', body: 'big', at: null });
  });

  it('emits deletes with the old key (DEFAULT) or the old row (FULL)', () => {
    expect(emitRowChange(table, { tag: 'delete', key: { id: '7' }, old: null })).toEqual({
      op: 'd',
      table,
      before: { id: 7n },
      after: null,
    });
    expect(
      emitRowChange(table, { tag: 'delete', key: null, old: { id: '7', name: 'n', body: null, at: null } })
        .before,
    ).toEqual({ id: 7n, name: 'n', body: null, at: null });
  });

  it('names the column whose value does not convert', () => {
    expect(() =>
      emitRowChange(table, { tag: 'insert', new: { id: 'x', name: 'a', body: null, at: null } }),
    ).toThrow('public.tenants.id: not an integer');
    expect(() =>
      emitRowChange(table, { tag: 'insert', new: { id: Buffer.from('1'), name: 'a', body: null, at: null } }),
    ).toThrow(TypeError);
  });
});
