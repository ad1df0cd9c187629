import { describe, expect, it } from 'vitest';
import { type Row, type RowChange, type TableSchema, UNCHANGED_TOAST } from '../../src/core/change-event.js';
import { ChangeEncoder, type OutgoingMessage, type SourceContext } from '../../src/kafka/change-encoder.js';
import { type ChangeEnvelope, decodeJson, decodeNative } from '../../src/kafka/record-decoder.js';
import { SchemaCodec } from '../../src/kafka/schema-codec.js';
import { KEY_SCHEMA_HEADER, VALUE_SCHEMA_HEADER } from '../../src/kafka/schema-id.js';
import type { SchemaResolver } from '../../src/kafka/schema-registry.js';

const everyKind: TableSchema = {
  source: 'appdb',
  database: 'app',
  table: 'everything',
  columns: [
    { name: 'id', kind: 'long', nullable: false, sourceType: 'bigint' },
    { name: 'flag', kind: 'boolean', nullable: true, sourceType: 'tinyint(1)' },
    { name: 'small', kind: 'int', nullable: true, sourceType: 'int' },
    { name: 'big', kind: 'long', nullable: true, sourceType: 'bigint' },
    { name: 'ratio', kind: 'double', nullable: true, sourceType: 'double' },
    { name: 'amount', kind: 'decimal', nullable: true, sourceType: 'decimal(30,9)' },
    { name: 'name', kind: 'string', nullable: false, sourceType: 'varchar(100)' },
    { name: 'doc', kind: 'json', nullable: true, sourceType: 'json' },
    { name: 'blob', kind: 'bytes', nullable: true, sourceType: 'blob' },
    { name: 'day', kind: 'date', nullable: true, sourceType: 'date' },
    { name: 'at', kind: 'time', nullable: true, sourceType: 'time(6)' },
    { name: 'local', kind: 'local-timestamp', nullable: true, sourceType: 'datetime(6)' },
    { name: 'instant', kind: 'timestamp', nullable: true, sourceType: 'timestamp(6)' },
    { name: 'größe-€', kind: 'string', nullable: true, sourceType: 'text' },
  ],
  primaryKey: ['id'],
};

const fullRow: Row = {
  id: 9223372036854775807n,
  flag: true,
  small: -2147483648,
  big: -9223372036854775808n,
  ratio: 0.1,
  amount: '12345678901234567890.123456789',
  name: 'Zoë 😀 中文',
  doc: '{"a":[1,2]}',
  blob: Buffer.from([0, 1, 2, 255]),
  day: '2024-02-29',
  at: '23:59:59.999999',
  local: '2024-02-29T23:59:59.999999',
  instant: '2024-02-29T23:59:59.999999Z',
  'größe-€': 'XL',
};

const nullRow: Row = Object.fromEntries(everyKind.columns.map((c) => [c.name, null]));
Object.assign(nullRow, { id: 1n, name: '' });

const commit: SourceContext = {
  snapshot: false,
  txId: '0-1-42',
  position: { file: 'mariadb-bin.000003', pos: 1234, gtid: '0-1-42' },
  tsMs: 1_700_000_000_000,
};

function encoderWithRegistry() {
  const encoder = new ChangeEncoder({ prefix: 'rk', now: () => 1_700_000_000_123 });
  const codecs = new Map<string, SchemaCodec>();
  const resolver: SchemaResolver = {
    resolve: async (id) => {
      const codec = codecs.get(id);
      if (codec === undefined) throw new Error(`unknown schema ${id}`);
      return codec;
    },
  };
  const encode = (change: RowChange, source: SourceContext = commit) => {
    const encoded = encoder.encode(change, source);
    for (const s of encoded.schemas) codecs.set(s.id, SchemaCodec.fromText(s.text));
    return encoded.messages;
  };
  const decode = async (m: OutgoingMessage) => {
    const { key, value } = await decodeNative(m, resolver);
    return { key: key as Row, value: value as ChangeEnvelope | null };
  };
  return { encoder, encode, decode, resolver };
}

describe('Kafka > change encoder > round trip', () => {
  it('encodes and decodes every column kind exactly', async () => {
    const { encode, decode } = encoderWithRegistry();
    const [message] = encode({ op: 'c', table: everyKind, before: null, after: fullRow });
    const { key, value } = await decode(message as OutgoingMessage);
    expect(key).toEqual({ id: 9223372036854775807n });
    expect(value?.after).toEqual(fullRow);
    expect(value?.before).toBeNull();
    expect(Buffer.isBuffer(value?.after?.blob)).toBe(true);
  });

  it('keeps SQL NULL in every nullable kind', async () => {
    const { encode, decode } = encoderWithRegistry();
    const [message] = encode({ op: 'c', table: everyKind, before: null, after: nullRow });
    expect((await decode(message as OutgoingMessage)).value?.after).toEqual(nullRow);
  });

  it('gives JSON-friendly values for tail: longs as strings, bytes as base64', async () => {
    const { encode, resolver } = encoderWithRegistry();
    const [message] = encode({ op: 'c', table: everyKind, before: null, after: fullRow });
    const { key, value } = await decodeJson(message as OutgoingMessage, resolver);
    expect(key).toEqual({ id: '9223372036854775807' });
    expect(value).toMatchObject({
      op: 'c',
      ts_ms: '1700000000123',
      after: { big: '-9223372036854775808', blob: 'AAEC/w==', amount: '12345678901234567890.123456789' },
      source: {
        connector: 'mysql',
        name: 'appdb',
        db: 'app',
        table: 'everything',
        pos: '1234',
        ts_ms: '1700000000000',
      },
    });
    expect(JSON.parse(JSON.stringify(value))).toEqual(value);
  });

  it('fills the source block from the commit', async () => {
    const { encode, decode } = encoderWithRegistry();
    const [message] = encode(
      { op: 'c', table: { ...everyKind, schema: 'public' }, before: null, after: fullRow },
      {
        snapshot: false,
        txId: '771',
        position: { lsn: '16/B374D848' },
        tsMs: 5,
      },
    );
    expect((await decode(message as OutgoingMessage)).value?.source).toEqual({
      connector: 'postgres',
      name: 'appdb',
      db: 'app',
      schema: 'public',
      table: 'everything',
      snapshot: false,
      file: null,
      pos: null,
      gtid: null,
      lsn: '16/B374D848',
      txId: '771',
      ts_ms: 5n,
    });
  });
});

describe('Kafka > change encoder > Debezium rules', () => {
  const table: TableSchema = {
    source: 'appdb',
    database: 'app',
    table: 'tenants',
    columns: [
      { name: 'id', kind: 'int', nullable: false, sourceType: 'int' },
      { name: 'plan', kind: 'string', nullable: false, sourceType: 'text' },
    ],
    primaryKey: ['id'],
  };

  it('writes to the table topic with both schema ids as headers', () => {
    const { encoder, encode } = encoderWithRegistry();
    const [message] = encode({ op: 'c', table, before: null, after: { id: 1, plan: 'free' } });
    const { topic, keySchema, valueSchema } = encoder.describe(table);
    expect(message?.topic).toBe('rk.appdb.tenants');
    expect(topic).toBe('rk.appdb.tenants');
    expect(message?.headers).toEqual({
      [KEY_SCHEMA_HEADER]: keySchema.id,
      [VALUE_SCHEMA_HEADER]: valueSchema.id,
    });
  });

  it('follows a delete with a tombstone of the same key and no value schema', async () => {
    const { encode, decode } = encoderWithRegistry();
    const messages = encode({ op: 'd', table, before: { id: 7, plan: 'pro' }, after: null });
    expect(messages).toHaveLength(2);
    const [deleted, tombstone] = messages as [OutgoingMessage, OutgoingMessage];
    expect((await decode(deleted)).value).toMatchObject({
      op: 'd',
      before: { id: 7, plan: 'pro' },
      after: null,
    });
    expect(tombstone.value).toBeNull();
    expect(tombstone.key.equals(deleted.key)).toBe(true);
    expect(tombstone.headers).toEqual({ [KEY_SCHEMA_HEADER]: deleted.headers[KEY_SCHEMA_HEADER] });
  });

  it('emits a primary key change as delete + tombstone of the old key and create of the new', async () => {
    const { encode, decode } = encoderWithRegistry();
    const messages = encode({
      op: 'u',
      table,
      before: { id: 1, plan: 'free' },
      after: { id: 2, plan: 'free' },
    });
    const decoded = await Promise.all(messages.map(decode));
    expect(decoded.map((d) => [d.key, d.value?.op ?? null])).toEqual([
      [{ id: 1 }, 'd'],
      [{ id: 1 }, null],
      [{ id: 2 }, 'c'],
    ]);
    expect(decoded[0]?.value).toMatchObject({ before: { id: 1 }, after: null });
    expect(decoded[2]?.value).toMatchObject({ before: null, after: { id: 2, plan: 'free' } });
  });

  it('emits an update that keeps the key as one u event', async () => {
    const { encode, decode } = encoderWithRegistry();
    const withBefore = encode({
      op: 'u',
      table,
      before: { id: 1, plan: 'free' },
      after: { id: 1, plan: 'pro' },
    });
    const keyOnly = encode({ op: 'u', table, before: null, after: { id: 1, plan: 'pro' } });
    expect(withBefore).toHaveLength(1);
    expect(keyOnly).toHaveLength(1);
    expect((await decode(withBefore[0] as OutgoingMessage)).value).toMatchObject({
      op: 'u',
      before: { id: 1, plan: 'free' },
      after: { id: 1, plan: 'pro' },
    });
  });

  it('marks snapshot rows with op r', async () => {
    const { encode, decode } = encoderWithRegistry();
    const [read] = encode({ op: 'r', table, before: null, after: { id: 1, plan: 'free' } });
    const [created] = encode(
      { op: 'c', table, before: null, after: { id: 1, plan: 'free' } },
      { ...commit, snapshot: true },
    );
    for (const m of [read, created]) {
      expect((await decode(m as OutgoingMessage)).value).toMatchObject({
        op: 'r',
        source: { snapshot: true },
      });
    }
  });

  it('turns unchanged TOAST values into null and lists them in unchanged', async () => {
    const { encode, decode } = encoderWithRegistry();
    const [message] = encode({ op: 'u', table, before: null, after: { id: 3, plan: UNCHANGED_TOAST } });
    expect((await decode(message as OutgoingMessage)).value).toMatchObject({
      after: { id: 3, plan: null },
      unchanged: ['plan'],
    });
  });

  it('decodes a key-only before-image of a PostgreSQL delete', async () => {
    const { encode, decode } = encoderWithRegistry();
    const [deleted] = encode({ op: 'd', table, before: { id: 9 }, after: null });
    expect((await decode(deleted as OutgoingMessage)).value?.before).toEqual({ id: 9, plan: null });
  });

  it('says which column of which table holds a value of the wrong type', () => {
    const { encode } = encoderWithRegistry();
    expect(() => encode({ op: 'c', table: everyKind, before: null, after: { ...fullRow, big: 5 } })).toThrow(
      /ROWKUBE_ERR_UNSUPPORTED_TYPE: table appdb\/app.everything: .*column 'big' \(long\) needs a bigint, got number/,
    );
    expect(() => encode({ op: 'c', table, before: null, after: { plan: 'x' } })).toThrow(
      /primary key column 'id' has no value/,
    );
  });

  it('reuses the derived schemas for a table that is rebuilt with the same content', () => {
    const { encoder } = encoderWithRegistry();
    expect(encoder.describe(structuredClone(table)).valueSchema).toEqual(encoder.describe(table).valueSchema);
  });
});

describe('Kafka > change encoder > key bytes', () => {
  it('writes the same key bytes whatever nullability the connector reports for the key', () => {
    // Regression: a definition rebuilt from binlog metadata after an ALTER said
    // the key was nullable, and the key of id 18 went from 18 to 0218.
    const { encode } = encoderWithRegistry();
    const loose: TableSchema = {
      ...everyKind,
      columns: everyKind.columns.map((c) => ({ ...c, nullable: true })),
    };
    const row = { ...nullRow, id: 9n };
    const strict = encode({ op: 'c', table: everyKind, before: null, after: row });
    const relaxed = encode({ op: 'u', table: loose, before: row, after: row });
    expect(relaxed[0]?.key).toEqual(strict[0]?.key);
    expect(strict[0]?.key).toEqual(Buffer.from([18]));
  });
});
