import { describe, expect, it } from 'vitest';
import { truncatedTable } from '../../connectors/mysql/mysql-source.js';
import type { TableSchema } from '../../src/core/change-event.js';
import { ChangeEncoder } from '../../src/kafka/change-encoder.js';
import { decodeNative } from '../../src/kafka/record-decoder.js';
import { SchemaCodec } from '../../src/kafka/schema-codec.js';
import { KEY_SCHEMA_HEADER, VALUE_SCHEMA_HEADER } from '../../src/kafka/schema-id.js';
import { TRUNCATE_KEY_SCHEMA } from '../../src/kafka/truncate-key.js';

const table: TableSchema = {
  source: 'appdb',
  database: 'app',
  table: 'tenants',
  columns: [{ name: 'id', kind: 'string', nullable: false, sourceType: 'varchar(10)' }],
  primaryKey: ['id'],
};

describe('Kafka > ChangeEncoder > truncate', () => {
  it("encodes op 't' with null rows under the truncate key schema, and decodes back", async () => {
    const encoder = new ChangeEncoder({ prefix: 'rk', now: () => 5 });
    const { messages, schemas } = encoder.encode(
      { op: 't', table, before: null, after: null },
      { snapshot: false, txId: 'gtid-1', tsMs: 7 },
    );
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message?.headers[KEY_SCHEMA_HEADER]).toBe(TRUNCATE_KEY_SCHEMA.id);
    expect(schemas.map((s) => s.id)).toContain(TRUNCATE_KEY_SCHEMA.id);
    const codecs = new Map(schemas.map((s) => [s.id, SchemaCodec.fromText(s.text)]));
    const resolver = { resolve: async (id: string) => codecs.get(id) as SchemaCodec };
    const decoded = await decodeNative(
      { key: message?.key ?? null, value: message?.value ?? null, headers: message?.headers ?? {} },
      resolver,
    );
    expect(decoded.key).toEqual({ truncated: 'appdb/app.tenants' });
    expect(decoded.value).toMatchObject({ op: 't', before: null, after: null, source: { txId: 'gtid-1' } });
    expect(message?.headers[VALUE_SCHEMA_HEADER]).toBe(encoder.describe(table).valueSchema.id);
  });
});

describe('Connectors > MySQL > truncatedTable', () => {
  it('finds the table of a TRUNCATE in the captured database only', () => {
    expect(truncatedTable('TRUNCATE TABLE tenants', 'app', 'app')).toBe('tenants');
    expect(truncatedTable('truncate `ten``ants`;', 'app', 'app')).toBe('ten`ants');
    expect(truncatedTable('TRUNCATE TABLE `app`.`tenants`', 'other', 'app')).toBe('tenants');
    expect(truncatedTable('TRUNCATE TABLE other.tenants', 'app', 'app')).toBeUndefined();
    expect(truncatedTable('TRUNCATE TABLE tenants', 'other', 'app')).toBeUndefined();
    expect(truncatedTable('DELETE FROM tenants', 'app', 'app')).toBeUndefined();
  });
});
