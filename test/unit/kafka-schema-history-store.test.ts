import { describe, expect, it } from 'vitest';
import type { TableSchema } from '../../src/core/change-event.js';
import { parseSchemaHistoryValue, schemaHistoryRecord } from '../../src/kafka/schema-history-store.js';

const table: TableSchema = {
  source: 'appdb',
  database: 'app',
  table: 'tenants',
  columns: [{ name: 'id', kind: 'long', nullable: false, sourceType: 'bigint' }],
  primaryKey: ['id'],
};

describe('Kafka > schema history store > records', () => {
  it('keys a record by source, table and position, so compaction keeps every version', () => {
    const a = schemaHistoryRecord({ position: { file: 'bin.000001', pos: 4, gtid: null }, table });
    const b = schemaHistoryRecord({ position: { file: 'bin.000001', pos: 900, gtid: null }, table });
    const again = schemaHistoryRecord({ position: { pos: 4, gtid: null, file: 'bin.000001' }, table });
    expect(a.key).not.toBe(b.key);
    expect(again.key).toBe(a.key);
    expect(JSON.parse(a.key)).toEqual({
      source: 'appdb',
      database: 'app',
      schema: null,
      table: 'tenants',
      position: { file: 'bin.000001', pos: 4, gtid: null },
    });
  });

  it('reads a value back as the version it was written from', () => {
    const version = { position: { lsn: '0/16B3748' }, table: { ...table, schema: 'public' } };
    const { key, value } = schemaHistoryRecord(version);
    expect(parseSchemaHistoryValue(key, Buffer.from(value))).toEqual(version);
  });

  it('refuses a value that is not a version, naming the record', () => {
    expect(() => parseSchemaHistoryValue('k1', Buffer.from('not json'))).toThrow(
      /ROWKUBE_ERR_KAFKA: the schema history record k1 is not JSON/,
    );
    expect(() => parseSchemaHistoryValue('k2', Buffer.from('{"position":{}}'))).toThrow(
      /the schema history record k2 is not \{position, table/,
    );
  });
});
