import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { type JsonValue, toJsonValue } from './json-value.js';
import { createKafka, type KafkaClientOptions } from './kafka-client.js';
import { decodeJson } from './record-decoder.js';
import type { SchemaRegistryClient } from './registry/registry-client.js';
import { SchemaRegistry, type SchemaResolver } from './schema-registry.js';
import { readTopic, type TopicRecord } from './topic-reader.js';

// `rowkube tail <topic>`: prints the records of any rowkube topic as JSON
// lines, decoded with the schemas from `<prefix>._schemas` or, for records in
// the Confluent wire format, from the schema registry. Value
// representations are json-value.ts's (longs as strings, bytes as base64).

/** One printed record. */
export interface TailRecord {
  topic: string;
  partition: number;
  /** int64, as a string like every long. */
  offset: string;
  key: JsonValue;
  /** null for a tombstone. */
  value: JsonValue;
  /** Present when the record has headers (the schema ids of Avro records). */
  headers?: Record<string, string>;
  /** Kafka record timestamp, ISO 8601 in UTC. */
  timestamp: string;
  /** Present when the record could not be decoded; key and value are then the raw bytes in base64. */
  error?: string;
}

export interface TailOptions {
  /** Brokers to connect to; or pass `kafka`. */
  brokers?: readonly string[];
  /** TLS and SASL for `brokers` (config `kafka.ssl`, `kafka.sasl`). */
  security?: Pick<KafkaClientOptions, 'ssl' | 'sasl'>;
  kafka?: Kafka;
  topic: string;
  /** The topic prefix whose `_schemas` topic decodes the records. */
  prefix: string;
  /** Decodes records in the Confluent wire format (config `schemaRegistry`, or `--registry`). */
  registry?: SchemaRegistryClient;
  /** Start at the earliest record (default true), or at the end. */
  fromBeginning?: boolean;
  /** Keep printing new records until the signal aborts (default false: stop at the end). */
  follow?: boolean;
  /** Default read_committed. */
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Stop after this many records. */
  limit?: number;
  onRecord: (record: TailRecord) => void | Promise<void>;
  signal?: AbortSignal;
}

/** Reads and decodes records until the end (or the limit, or the signal). Resolves to the number of records. */
export async function tailTopic(options: TailOptions): Promise<number> {
  const kafka =
    options.kafka ??
    createKafka({ ...options.security, brokers: options.brokers ?? [], clientId: 'rowkube-tail' });
  if (options.limit !== undefined && options.limit <= 0) return 0;
  let registry: Promise<SchemaRegistry> | undefined;
  // Opened on the first Avro record only: tailing `_offsets` needs no schemas.
  const open = () =>
    (registry ??= SchemaRegistry.open({ kafka, prefix: options.prefix, registry: options.registry }));
  const resolver: SchemaResolver = {
    resolve: async (id) => (await open()).resolve(id),
    resolveRegistered: async (id) => (await open()).resolveRegistered(id),
  };
  let count = 0;
  await readTopic({
    kafka,
    topic: options.topic,
    fromBeginning: options.fromBeginning ?? true,
    follow: options.follow ?? false,
    ...(options.isolation === undefined ? {} : { isolation: options.isolation }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onRecord: async (record) => {
      await options.onRecord(await toTailRecord(record, resolver));
      count += 1;
      return options.limit === undefined || count < options.limit;
    },
  });
  return count;
}

/** What the CLI calls: one JSON object per line on `out`, respecting its backpressure. */
export async function tailToStream(
  options: Omit<TailOptions, 'onRecord'> & { out: Writable },
): Promise<number> {
  const { out, ...rest } = options;
  return tailTopic({
    ...rest,
    onRecord: async (record) => {
      if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
    },
  });
}

async function toTailRecord(record: TopicRecord, resolver: SchemaResolver): Promise<TailRecord> {
  const base = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
  };
  const rest = {
    ...(Object.keys(record.headers).length > 0 ? { headers: record.headers } : {}),
    timestamp: new Date(Number(record.timestamp)).toISOString(),
  };
  try {
    const { key, value } = await decodeJson(record, resolver);
    return { ...base, key, value, ...rest };
  } catch (error) {
    return {
      ...base,
      key: toJsonValue(record.key),
      value: toJsonValue(record.value),
      ...rest,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}
