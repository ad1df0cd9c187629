import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { decodeNative } from '../../src/kafka/record-decoder.js';
import { frame, unframe } from '../../src/kafka/registry/confluent-frame.js';
import { SchemaRegistryClient } from '../../src/kafka/registry/registry-client.js';
import {
  displayUrl,
  registryHttpError,
  registryNetworkError,
} from '../../src/kafka/registry/registry-errors.js';
import { subjectName } from '../../src/kafka/registry/subject-name.js';
import { KEY_SCHEMA_HEADER, VALUE_SCHEMA_HEADER } from '../../src/kafka/schema-id.js';
import { EMBEDDED_WIRE_FORMAT, RegistryWireFormat } from '../../src/kafka/wire-format.js';

const call = { url: 'https://registry:8443', action: "registering a schema under subject 'p.a.b-value'" };

describe('Kafka > schema registry > Confluent frame', () => {
  it('is magic byte 0, the id in 4 big-endian bytes, then the body', () => {
    const framed = frame(0x01020304, Buffer.from([0xaa, 0xbb]));
    expect([...framed]).toEqual([0, 1, 2, 3, 4, 0xaa, 0xbb]);
    expect(unframe(framed)).toEqual({ id: 0x01020304, body: Buffer.from([0xaa, 0xbb]) });
  });

  it('takes ids up to 2^32-1 and refuses others', () => {
    expect(unframe(frame(0xffffffff, Buffer.alloc(0)))?.id).toBe(0xffffffff);
    expect(() => frame(-1, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => frame(1.5, Buffer.alloc(0))).toThrow(RangeError);
  });

  it('does not take text or short bytes for a frame', () => {
    expect(unframe(Buffer.from('{"file":"binlog.000001"}'))).toBeUndefined();
    expect(unframe(Buffer.from([0, 0, 0, 1]))).toBeUndefined();
  });
});

describe('Kafka > schema registry > subjects', () => {
  it('follow TopicNameStrategy, with the truncate key apart', () => {
    expect(subjectName('rk.appdb.shop.orders', 'key')).toBe('rk.appdb.shop.orders-key');
    expect(subjectName('rk.appdb.shop.orders', 'value')).toBe('rk.appdb.shop.orders-value');
    expect(subjectName('rk.appdb.shop.orders', 'truncate-key')).toBe('rk.appdb.shop.orders-truncate-key');
  });
});

describe('Kafka > schema registry > errors', () => {
  const network = (code: string, message = code) =>
    registryNetworkError(call, Object.assign(new Error(message), { code }));

  it('a registry that is down is retriable and says which URL', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ROWKUBE_TIMEOUT']) {
      const error = network(code);
      expect(error.retriable).toBe(true);
      expect(error.code).toBe(ErrorCode.SCHEMA_REGISTRY);
      expect(error.message).toContain('https://registry:8443');
      expect(error.message).toContain('schemaRegistry.url');
    }
  });

  it('an untrusted certificate names schemaRegistry.ssl.ca, once (not retriable)', () => {
    for (const code of [
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    ]) {
      const error = network(code);
      expect(error.retriable).toBe(false);
      expect(error.message).toContain('schemaRegistry.ssl.ca');
    }
    expect(network('ERR_TLS_CERT_ALTNAME_INVALID').message).toContain('schemaRegistry.ssl.servername');
    expect(network('EPROTO', 'wrong version number').message).toContain('http://');
  });

  it('refused credentials name schemaRegistry.auth and are not retried', () => {
    for (const status of [401, 403]) {
      const error = registryHttpError(call, status, 'Unauthorized');
      expect(error.code).toBe(ErrorCode.SCHEMA_REGISTRY);
      expect(error.retriable).toBe(false);
      expect(error.message).toContain('schemaRegistry.auth');
    }
  });

  it('a refused schema names the subject, what it is for and the registry reason', () => {
    const error = registryHttpError(
      { ...call, subject: 'p.a.b-value', about: 'table appdb/shop.orders' },
      409,
      'Schema being registered is incompatible with an earlier schema',
    );
    expect(error.code).toBe(ErrorCode.SCHEMA_REFUSED);
    expect(error.retriable).toBe(false);
    expect(error.message).toContain("subject 'p.a.b-value'");
    expect(error.message).toContain('table appdb/shop.orders');
    expect(error.message).toContain('incompatible with an earlier schema');
  });

  it('a 5xx is retriable, a 404 is a missing schema', () => {
    expect(registryHttpError(call, 503, 'busy').retriable).toBe(true);
    expect(registryHttpError(call, 404, 'Schema 7 not found').code).toBe(ErrorCode.SCHEMA_NOT_FOUND);
  });

  it('never shows credentials written into the URL', () => {
    expect(displayUrl('https://rowkube:s3cret@registry:8443/apis/ccompat/v7')).toBe(
      'https://registry:8443/apis/ccompat/v7',
    );
  });
});

describe('Kafka > schema registry > config', () => {
  const base = {
    kafka: { brokers: ['k:9092'] },
    sources: [{ name: 's', mysql: { url: 'mysql://u@h/d' }, tables: ['d.t'] }],
  };

  it('is optional: absent means the embedded _schemas topic', () => {
    expect(configSchema.parse(base).schemaRegistry).toBeUndefined();
  });

  it('takes a URL, basic auth and TLS like kafka.ssl', () => {
    const parsed = configSchema.parse({
      ...base,
      schemaRegistry: { url: 'https://r:8443', auth: { username: 'u', password: 'p' }, ssl: { ca: 'PEM' } },
    });
    expect(parsed.schemaRegistry).toEqual({
      url: 'https://r:8443',
      auth: { username: 'u', password: 'p' },
      ssl: { ca: 'PEM', rejectUnauthorized: true },
    });
  });

  it('refuses a URL that is not http(s), and unknown fields', () => {
    expect(configSchema.safeParse({ ...base, schemaRegistry: { url: 'registry:8081' } }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, schemaRegistry: { url: 'ftp://r' } }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, schemaRegistry: { url: 'http://r', user: 'x' } }).success).toBe(
      false,
    );
  });
});

describe('Kafka > wire format', () => {
  it('embedded leaves records as built', async () => {
    const records = [
      { topic: 'p._schemas', key: 'abc', value: '{}' },
      {
        topic: 'p.t',
        key: Buffer.from([2]),
        value: Buffer.from([4]),
        headers: { [KEY_SCHEMA_HEADER]: 'abc' },
      },
    ];
    expect(EMBEDDED_WIRE_FORMAT.prepare('p.t', [])).toBeUndefined();
    expect(EMBEDDED_WIRE_FORMAT.encode(records)).toEqual(records);
    expect(await EMBEDDED_WIRE_FORMAT.toWire(records)).toEqual(records);
  });

  it('registry drops _schemas records, passes JSON records, and refuses a schema nobody registered', () => {
    // Nothing here reaches the network: encode() is synchronous by contract.
    const client = new SchemaRegistryClient({ url: 'http://127.0.0.1:9/apis/ccompat/v7' });
    const wire = new RegistryWireFormat(client, 'p');
    try {
      const offsets = { topic: 'p._offsets', key: 'appdb', value: '{"pos":4}' };
      expect(wire.encode([{ topic: 'p._schemas', key: 'abc', value: '{}' }, offsets])).toEqual([offsets]);
      expect(() =>
        wire.encode([
          {
            topic: 'p.t',
            key: Buffer.from([2]),
            value: Buffer.from([4]),
            headers: { [VALUE_SCHEMA_HEADER]: 'abc' },
          },
        ]),
      ).toThrow("schema abc was not registered for subject 'p.t-value'");
    } finally {
      wire.close();
    }
  });

  it('a reader without a registry says to configure one when it meets the Confluent format', async () => {
    const record = { key: frame(3, Buffer.from([2])), value: null, headers: {} };
    const resolver = { resolve: () => Promise.reject(new Error('not used')) };
    const error = await decodeNative(record, resolver).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RowkubeError);
    expect((error as RowkubeError).code).toBe(ErrorCode.CONFIG);
    expect((error as RowkubeError).message).toContain('schemaRegistry');
  });

  it('a part without its header but with the magic byte goes to the registry', async () => {
    const record = {
      key: Buffer.from([0, 0, 0, 0, 9]),
      value: null,
      headers: { [VALUE_SCHEMA_HEADER]: 'x' },
    };
    const resolved: number[] = [];
    const resolver = {
      resolve: () => Promise.reject(new Error('not used')),
      resolveRegistered: (id: number) => {
        resolved.push(id);
        return Promise.reject(new Error('stop'));
      },
    };
    await expect(decodeNative(record, resolver)).rejects.toThrow('stop');
    expect(resolved).toEqual([9]);
  });
});
