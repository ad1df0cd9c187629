import { describe, expect, it } from 'vitest';
import { keysetQuery } from '../../connectors/keyset-query.js';

const quote = (id: string) => `"${id}"`;
const base = { columns: '*', from: '"t"', quote, limit: 100 };

describe('connectors > snapshot > keysetQuery', () => {
  it('reads the first page in key order', () => {
    expect(keysetQuery({ ...base, dialect: 'postgres', key: ['id'] })).toEqual({
      text: 'SELECT * FROM "t" ORDER BY "id" LIMIT 100',
      params: [],
    });
    expect(keysetQuery({ ...base, dialect: 'mysql', key: ['a', 'b'] }).text).toBe(
      'SELECT * FROM "t" ORDER BY "a", "b" LIMIT 100',
    );
  });

  it('continues after a single-column key', () => {
    expect(keysetQuery({ ...base, dialect: 'postgres', key: ['id'], after: ['42'] })).toEqual({
      text: 'SELECT * FROM "t" WHERE "id" > $1 ORDER BY "id" LIMIT 100',
      params: ['42'],
    });
    expect(keysetQuery({ ...base, dialect: 'mysql', key: ['id'], after: [42] })).toEqual({
      text: 'SELECT * FROM "t" WHERE "id" > ? ORDER BY "id" LIMIT 100',
      params: [42],
    });
  });

  it('compares a composite key as a row value on PostgreSQL', () => {
    expect(keysetQuery({ ...base, dialect: 'postgres', key: ['a', 'b', 'c'], after: [1, 'x', 3] })).toEqual({
      text: 'SELECT * FROM "t" WHERE ("a", "b", "c") > ($1, $2, $3) ORDER BY "a", "b", "c" LIMIT 100',
      params: [1, 'x', 3],
    });
  });

  it('spells a composite key out on MySQL, parameters in placeholder order', () => {
    expect(keysetQuery({ ...base, dialect: 'mysql', key: ['a', 'b', 'c'], after: [1, 'x', 3] })).toEqual({
      text:
        'SELECT * FROM "t" WHERE ("a" > ?) OR ("a" = ? AND "b" > ?) OR ("a" = ? AND "b" = ? AND "c" > ?) ' +
        'ORDER BY "a", "b", "c" LIMIT 100',
      params: [1, 1, 'x', 1, 'x', 3],
    });
  });

  it('refuses a key it cannot page by', () => {
    expect(() => keysetQuery({ ...base, dialect: 'mysql', key: [] })).toThrow(/needs a primary key/);
    expect(() => keysetQuery({ ...base, dialect: 'mysql', key: ['a', 'b'], after: [1] })).toThrow(
      /1 values for a primary key of 2 columns \(a, b\)/,
    );
    expect(() => keysetQuery({ ...base, dialect: 'postgres', key: ['a'], limit: 0 })).toThrow(
      /positive whole/,
    );
  });
});
