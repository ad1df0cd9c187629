import { describe, expect, it } from 'vitest';
import { type RelationShape, tableSchemaFromRelation } from '../../connectors/postgres/postgres-schema.js';
import { PgOid } from '../../connectors/postgres/postgres-types.js';
import type { TableSchema } from '../../src/core/change-event.js';
import { ErrorCode } from '../../src/core/errors.js';

const context = { source: 'app', database: 'db' };
const previous: TableSchema = {
  ...context,
  schema: 'public',
  table: 't',
  columns: [
    { name: 'id', kind: 'int', nullable: false, sourceType: 'integer' },
    { name: 'a', kind: 'string', nullable: false, sourceType: 'text' },
  ],
  primaryKey: ['id'],
};

function relation(overrides: Partial<RelationShape>): RelationShape {
  return {
    schema: 'public',
    name: 't',
    replicaIdentity: 'default',
    columns: [
      { name: 'id', typeOid: PgOid.int4, typeMod: -1 },
      { name: 'a', typeOid: PgOid.text, typeMod: -1 },
    ],
    keyColumns: ['id'],
    ...overrides,
  };
}

describe('connectors > postgres > schema from Relation messages', () => {
  it('takes names and types from the message, nullability from what is known', () => {
    const next = tableSchemaFromRelation(
      context,
      relation({
        columns: [
          { name: 'id', typeOid: PgOid.int4, typeMod: -1 },
          { name: 'a', typeOid: PgOid.text, typeMod: -1 },
          { name: 'added', typeOid: PgOid.int8, typeMod: -1 },
        ],
      }),
      ['integer', 'text', 'bigint'],
      () => undefined,
      undefined,
      previous,
    );
    expect(next.columns).toEqual([
      { name: 'id', kind: 'int', nullable: false, sourceType: 'integer' },
      { name: 'a', kind: 'string', nullable: false, sourceType: 'text' },
      { name: 'added', kind: 'long', nullable: true, sourceType: 'bigint' },
    ]);
    expect(next.primaryKey).toEqual(['id']);
  });

  it('keeps the primary key under REPLICA IDENTITY FULL, where every column is flagged', () => {
    const next = tableSchemaFromRelation(
      context,
      relation({ replicaIdentity: 'full', keyColumns: ['id', 'a'] }),
      ['integer', 'text'],
      () => undefined,
      undefined,
      previous,
    );
    expect(next.primaryKey).toEqual(['id']);
  });

  it('refuses a shape without a known primary key', () => {
    expect(() =>
      tableSchemaFromRelation(
        context,
        relation({
          replicaIdentity: 'full',
          keyColumns: ['x'],
          columns: [{ name: 'x', typeOid: 25, typeMod: -1 }],
        }),
        ['text'],
        () => undefined,
        undefined,
        previous,
      ),
    ).toThrow(ErrorCode.NO_PRIMARY_KEY);
  });
});
