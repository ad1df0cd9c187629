import { describe, expect, it } from 'vitest';
import type { TableSchema } from '../../src/core/change-event.js';
import { tableAvroSchemas } from '../../src/kafka/avro-schemas.js';
import { toJsonValue } from '../../src/kafka/json-value.js';
import { decodeJson } from '../../src/kafka/record-decoder.js';
import { SchemaCodec } from '../../src/kafka/schema-codec.js';
import { registerSchema } from '../../src/kafka/schema-id.js';
import type { SchemaResolver } from '../../src/kafka/schema-registry.js';

const noSchemas: SchemaResolver = {
  resolve: async (id) => {
    throw new Error(`unexpected schema lookup ${id}`);
  },
};

describe('Kafka > SchemaCodec', () => {
  const odd: TableSchema = {
    source: 'appdb',
    database: 'app',
    table: 'odd',
    columns: [
      { name: 'my-id', kind: 'long', nullable: false, sourceType: 'bigint' },
      { name: '__proto__', kind: 'string', nullable: true, sourceType: 'text' },
      { name: 'constructor', kind: 'string', nullable: true, sourceType: 'text' },
      { name: 'größe €', kind: 'string', nullable: true, sourceType: 'text' },
      { name: '2nd', kind: 'bytes', nullable: true, sourceType: 'bytea' },
    ],
    primaryKey: ['my-id'],
  };

  it('round-trips rows by their database column names, however odd, from the schema text alone', () => {
    const { text } = registerSchema(tableAvroSchemas(odd).keySchema);
    const codec = SchemaCodec.fromText(text);
    expect(codec.decode(codec.encode({ 'my-id': -(2n ** 63n) }))).toEqual({ 'my-id': -(2n ** 63n) });
  });

  it('never lets a column named __proto__ reach the prototype', () => {
    const { text } = registerSchema(tableAvroSchemas(odd).valueSchema);
    const codec = SchemaCodec.fromText(text);
    const row = { 'my-id': 1n, constructor: 'c', 'größe €': 'XL', '2nd': Buffer.from([1]) } as Record<
      string,
      unknown
    >;
    Object.defineProperty(row, '__proto__', { value: 'p', enumerable: true });
    const envelope = {
      before: null,
      after: row,
      op: 'c',
      source: {
        connector: 'mysql',
        name: 'appdb',
        db: 'app',
        schema: null,
        table: 'odd',
        snapshot: false,
        file: null,
        pos: null,
        gtid: null,
        lsn: null,
        txId: null,
        ts_ms: 0n,
      },
      ts_ms: 0n,
      unchanged: [],
    };
    const after = (codec.decode(codec.encode(envelope)) as { after: Record<string, unknown> }).after;
    expect(Object.getPrototypeOf(after)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(after, '__proto__')?.value).toBe('p');
    expect(after.constructor).toBe('c');
    expect(after['größe €']).toBe('XL');
    expect(JSON.stringify(toJsonValue(after))).toContain('"__proto__":"p"');
  });

  it('decodes schemas without rowkube attributes as they are', () => {
    const codec = SchemaCodec.fromSchema({
      type: 'record',
      name: 'Audit',
      fields: [
        { name: 'node', type: 'string' },
        { name: 'at', type: 'long' },
      ],
    });
    expect(codec.decode(codec.encode({ node: 'web/t1', at: 5n }))).toMatchObject({ node: 'web/t1', at: 5n });
  });
});

describe('Kafka > record decoder > records without a schema header', () => {
  it('reads a stored position as JSON and its key as text', async () => {
    const decoded = await decodeJson(
      { key: Buffer.from('123'), value: Buffer.from('{"lsn":"16/B374D848"}'), headers: {} },
      noSchemas,
    );
    expect(decoded).toEqual({ key: '123', value: { lsn: '16/B374D848' } });
  });

  it('keeps text that is not JSON, and shows bytes that are not UTF-8 as base64', async () => {
    expect(await decodeJson({ key: null, value: Buffer.from('plain'), headers: {} }, noSchemas)).toEqual({
      key: null,
      value: 'plain',
    });
    expect(await decodeJson({ key: null, value: Buffer.from([0xff, 0xfe]), headers: {} }, noSchemas)).toEqual(
      {
        key: null,
        value: '//4=',
      },
    );
  });
});

describe('Kafka > toJsonValue', () => {
  it('writes longs as decimal strings, bytes as base64 and non-finite doubles as names', () => {
    expect(
      toJsonValue({ a: 2n ** 63n - 1n, b: Buffer.from('hi'), c: [Number.NaN, -Infinity, 1.5], d: null }),
    ).toEqual({
      a: '9223372036854775807',
      b: 'aGk=',
      c: ['NaN', '-Infinity', 1.5],
      d: null,
    });
  });
});
