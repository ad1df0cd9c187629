import { describe, expect, it } from 'vitest';
import type { TableSchema } from '../../src/core/change-event.js';
import { tableAvroSchemas } from '../../src/kafka/avro-schemas.js';
import { canonicalSchemaText, registerSchema, schemaIdOfText } from '../../src/kafka/schema-id.js';

const table: TableSchema = {
  source: 'appdb',
  database: 'app',
  table: 'tenants',
  columns: [
    { name: 'id', kind: 'long', nullable: false, sourceType: 'bigint' },
    { name: 'plan', kind: 'string', nullable: true, sourceType: 'varchar(20)' },
  ],
  primaryKey: ['id'],
};

const valueId = (t: TableSchema) => registerSchema(tableAvroSchemas(t).valueSchema).id;

describe('Kafka > schema id', () => {
  it('is 16 hex characters of the canonical text', () => {
    const { id, text } = registerSchema(tableAvroSchemas(table).valueSchema);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(schemaIdOfText(text)).toBe(id);
  });

  it('does not depend on the key order of the schema object', () => {
    expect(canonicalSchemaText({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(registerSchema({ type: 'record', name: 'R', fields: [] }).id).toBe(
      registerSchema({ fields: [], name: 'R', type: 'record' }).id,
    );
  });

  it('is the same in every run for the same table (writers in different processes agree)', () => {
    expect(valueId(table)).toBe(valueId(structuredClone(table)));
    // Pinned: a change here means every existing id changes, i.e. a new schema for every table.
    expect(registerSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }).id).toBe(
      '71d6c92f18aaad68',
    );
  });

  it('changes when a column is added, renamed or changes its source type', () => {
    const base = valueId(table);
    const added = valueId({
      ...table,
      columns: [...table.columns, { name: 'x', kind: 'int', nullable: true, sourceType: 'int' }],
    });
    const renamed = valueId({
      ...table,
      columns: [table.columns[0], { ...table.columns[1], name: 'tier' }] as TableSchema['columns'],
    });
    const widened = valueId({
      ...table,
      columns: [
        table.columns[0],
        { ...table.columns[1], sourceType: 'varchar(40)' },
      ] as TableSchema['columns'],
    });
    expect(new Set([base, added, renamed, widened]).size).toBe(4);
  });
});
