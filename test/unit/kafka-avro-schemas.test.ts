import { describe, expect, it } from 'vitest';
import type { TableSchema } from '../../src/core/change-event.js';
import { isValidAvroName, toAvroName } from '../../src/kafka/avro-names.js';
import { type AvroField, type AvroRecordSchema, tableAvroSchemas } from '../../src/kafka/avro-schemas.js';
import { avroType } from '../../src/kafka/avro-type.js';

const tenants: TableSchema = {
  source: 'appdb',
  database: 'app',
  table: 'tenants',
  columns: [
    { name: 'region', kind: 'string', nullable: false, sourceType: 'varchar(8)' },
    { name: 'id', kind: 'long', nullable: false, sourceType: 'bigint' },
    { name: 'plan', kind: 'string', nullable: true, sourceType: 'varchar(20)' },
    { name: 'replicas', kind: 'int', nullable: false, sourceType: 'int' },
  ],
  primaryKey: ['id', 'region'],
};

function rowRecord(valueSchema: AvroRecordSchema): AvroRecordSchema {
  const before = valueSchema.fields.find((f) => f.name === 'before') as AvroField;
  return (before.type as [string, AvroRecordSchema])[1];
}

describe('Kafka > Avro schemas > tableAvroSchemas', () => {
  it('keys by the primary key columns in key order', () => {
    const { keySchema } = tableAvroSchemas(tenants);
    expect(keySchema).toMatchObject({ type: 'record', name: 'Key', namespace: 'rowkube.appdb.app.tenants' });
    expect(keySchema.fields.map((f) => [f.name, f.type])).toEqual([
      ['id', 'long'],
      ['region', 'string'],
    ]);
  });

  it('wraps rows in a Debezium-shaped envelope', () => {
    const { valueSchema } = tableAvroSchemas(tenants);
    expect(valueSchema.name).toBe('Envelope');
    expect(valueSchema.fields.map((f) => f.name)).toEqual([
      'before',
      'after',
      'op',
      'source',
      'ts_ms',
      'unchanged',
    ]);
    expect((valueSchema.fields[3] as AvroField).type).toMatchObject({
      name: 'Source',
      fields: expect.arrayContaining([expect.objectContaining({ name: 'lsn', type: ['null', 'string'] })]),
    });
    expect(valueSchema['rowkube.table']).toBe('tenants');
  });

  it('makes nullable columns optional with default null, and keeps key columns required', () => {
    const fields = rowRecord(tableAvroSchemas(tenants).valueSchema).fields;
    const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
    expect(byName.id).toMatchObject({ type: 'long', 'rowkube.nullable': false });
    expect(byName.id).not.toHaveProperty('default');
    expect(byName.plan).toMatchObject({ type: ['null', 'string'], default: null, 'rowkube.nullable': true });
    // NOT NULL but not a key column: a TOAST value or a key-only before-image can still be missing.
    expect(byName.replicas).toMatchObject({
      type: ['null', 'int'],
      default: null,
      'rowkube.nullable': false,
    });
  });

  it('keeps key columns required even when the connector reports them nullable', () => {
    // A definition built from binlog metadata read back after an ALTER says
    // every column is nullable; the key bytes must not change with it.
    const reportedNullable: TableSchema = {
      ...tenants,
      columns: tenants.columns.map((c) => ({ ...c, nullable: true })),
    };
    const normal = tableAvroSchemas(tenants);
    const loose = tableAvroSchemas(reportedNullable);
    expect(loose.keySchema).toEqual(normal.keySchema);
    expect(loose.keyColumns.map((k) => k.optional)).toEqual([false, false]);
    const row = { id: 18n, region: 'eu' };
    expect(avroType(loose.keySchema).toBuffer(row)).toEqual(avroType(normal.keySchema).toBuffer(row));
    const id = rowRecord(loose.valueSchema).fields.find((f) => f.name === 'id');
    expect(id).toMatchObject({ type: 'long', 'rowkube.nullable': false });
  });

  it('marks every column field with its column name, kind and source type', () => {
    const field = rowRecord(tableAvroSchemas(tenants).valueSchema).fields.find((f) => f.name === 'plan');
    expect(field).toMatchObject({
      'rowkube.column': 'plan',
      'rowkube.kind': 'string',
      'rowkube.sourceType': 'varchar(20)',
    });
  });

  it('maps every column kind to one Avro type', () => {
    const kinds = [
      ['boolean', 'boolean'],
      ['int', 'int'],
      ['long', 'long'],
      ['float', 'double'],
      ['double', 'double'],
      ['decimal', 'string'],
      ['string', 'string'],
      ['json', 'string'],
      ['bytes', 'bytes'],
      ['date', 'string'],
      ['time', 'string'],
      ['local-timestamp', 'string'],
      ['timestamp', 'string'],
    ] as const;
    const table: TableSchema = {
      ...tenants,
      columns: [
        { name: 'pk', kind: 'int', nullable: false, sourceType: 'int' },
        ...kinds.map(([kind]) => ({
          name: `c_${kind.replace('-', '_')}`,
          kind,
          nullable: true,
          sourceType: kind,
        })),
      ],
      primaryKey: ['pk'],
    };
    const fields = rowRecord(tableAvroSchemas(table).valueSchema).fields.slice(1);
    expect(fields.map((f) => (f.type as string[])[1])).toEqual(kinds.map(([, avro]) => avro));
  });

  it('produces schemas avsc accepts, with a PostgreSQL schema in the namespace', () => {
    const pg = { ...tenants, schema: 'billing' };
    const { keySchema, valueSchema } = tableAvroSchemas(pg);
    expect(valueSchema.namespace).toBe('rowkube.appdb.app.billing.tenants');
    expect(() => avroType(keySchema)).not.toThrow();
    expect(() => avroType(valueSchema)).not.toThrow();
  });

  it('refuses a table without a primary key, naming it', () => {
    expect(() => tableAvroSchemas({ ...tenants, primaryKey: [] })).toThrow(
      /ROWKUBE_ERR_NO_PRIMARY_KEY: table appdb\/app.tenants has no primary key/,
    );
  });
});

describe('Kafka > Avro schemas > names that are not valid Avro', () => {
  const odd: TableSchema = {
    source: 'app-db',
    database: 'shop',
    schema: 'public',
    table: 'order-items',
    columns: [
      { name: 'my-col', kind: 'int', nullable: false, sourceType: 'int' },
      { name: 'größe', kind: 'string', nullable: true, sourceType: 'text' },
      { name: '1st', kind: 'string', nullable: true, sourceType: 'text' },
      { name: '__proto__', kind: 'string', nullable: true, sourceType: 'text' },
      { name: 'constructor', kind: 'string', nullable: true, sourceType: 'text' },
    ],
    primaryKey: ['my-col'],
  };

  it('rewrites them into valid, distinct names and keeps the original in rowkube.column', () => {
    const fields = rowRecord(tableAvroSchemas(odd).valueSchema).fields;
    for (const f of fields) expect(isValidAvroName(f.name)).toBe(true);
    expect(new Set(fields.map((f) => f.name)).size).toBe(fields.length);
    expect(fields.map((f) => f['rowkube.column'])).toEqual([
      'my-col',
      'größe',
      '1st',
      '__proto__',
      'constructor',
    ]);
    expect(fields[0]?.name).toMatch(/^my_col_[0-9a-f]{8}$/);
    expect(fields[2]?.name).toMatch(/^_1st_[0-9a-f]{8}$/);
    expect(fields[4]?.name).toBe('constructor');
  });

  it('rewrites a name the same way whatever else the table holds', () => {
    expect(toAvroName('my-col')).toBe(toAvroName('my-col'));
    expect(toAvroName('my-col')).not.toBe(toAvroName('my col'));
    const alone = tableAvroSchemas({ ...odd, columns: odd.columns.slice(0, 1) });
    expect(alone.keySchema.fields[0]?.name).toBe(toAvroName('my-col'));
  });

  it('gives tables whose names differ only in invalid characters different namespaces', () => {
    const a = tableAvroSchemas(odd).valueSchema.namespace;
    const b = tableAvroSchemas({ ...odd, table: 'order_items' }).valueSchema.namespace;
    expect(a).not.toBe(b);
    expect(a?.split('.').every(isValidAvroName)).toBe(true);
  });

  it('refuses two columns that would share an Avro name', () => {
    const clash: TableSchema = {
      ...odd,
      columns: [
        ...odd.columns,
        { name: toAvroName('my-col'), kind: 'int', nullable: true, sourceType: 'int' },
      ],
    };
    expect(() => tableAvroSchemas(clash)).toThrow(
      /ROWKUBE_ERR_UNSUPPORTED_TYPE: .*'my-col'.*the Avro field name/,
    );
  });
});
