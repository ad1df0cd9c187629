import pino from 'pino';
import { connectorFor } from '../connectors/registry.js';
import { type CaptureTarget, runCapture } from '../connectors/run-capture.js';
import { changeTopic } from '../src/contracts/index.js';
import type { SourceConfig } from '../src/core/config/config-schema.js';
import {
  createKafka,
  decodeNative,
  type Kafka,
  KafkaChangeSink,
  readTopic,
  SchemaRegistry,
} from '../src/kafka/index.js';
import type { DatabaseKind } from './admin-database.js';
import { stackEnv } from './stack-env.js';
import { waitFor } from './wait-for.js';

// Capture of one source into the stack's Kafka, in the test process: the
// connector the registry picks, the capture loop and the real Kafka sink with
// its stored position and schema history, as `rowkube capture` wires them.
// Stopping and starting it again is a restart from what Kafka stored.

export interface KafkaCaptureOptions {
  kind: DatabaseKind;
  /** The capture user's URL (AdminDatabase.captureUrl). */
  captureUrl: string;
  source: string;
  prefix: string;
  tables: string[];
}

export interface KafkaCapture {
  /** Resolves once the stream reads (after the snapshot on a first start). */
  streaming(): Promise<void>;
  /** Stops capture and closes its sink. */
  stop(): Promise<void>;
}

export function startKafkaCapture(options: KafkaCaptureOptions): KafkaCapture {
  const env = stackEnv({ needs: ['KAFKA_BROKERS'] });
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  const database = options.kind === 'postgres' ? 'postgres' : 'mysql';
  const source = {
    name: options.source,
    tables: options.tables,
    [database]: { url: options.captureUrl },
  } as unknown as SourceConfig;
  const controller = new AbortController();
  let sink: KafkaChangeSink | undefined;
  let ready = false;
  const openSink = async (): Promise<CaptureTarget> => {
    sink = await KafkaChangeSink.create({ kafka, prefix: options.prefix, source: options.source });
    const opened = sink;
    return {
      sink: opened,
      loadOffset: () => opened.loadPosition(),
      loadSchemaHistory: () => opened.loadSchemaHistory(),
    };
  };
  const done = runCapture(connectorFor(source), openSink, {
    signal: controller.signal,
    logger: pino({ level: process.env.ROWKUBE_TEST_LOG ?? 'warn' }),
    onReadiness: (up) => {
      ready = up;
    },
  });
  let failure: unknown;
  done.catch((error: unknown) => {
    failure = error;
  });
  return {
    streaming: () =>
      waitFor(
        `capture of ${options.source} to stream`,
        (bail) => {
          if (failure !== undefined) bail(failure);
          return ready ? true : undefined;
        },
        { timeoutMs: 30_000 },
      ).then(() => undefined),
    stop: async () => {
      controller.abort();
      await done.catch(() => undefined);
      await sink?.close();
      if (failure !== undefined) throw failure;
    },
  };
}

/** One record of a change topic: the raw key bytes, and key and value decoded with the project's decoder. */
export interface ChangeTopicRecord {
  offset: string;
  key: Buffer;
  decodedKey: Record<string, unknown>;
  /** null for a tombstone. */
  value: {
    op: string;
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
    source: { snapshot: boolean };
  } | null;
}

/** Every committed record of a table's change topic, in offset order (one partition). */
export async function readChangeTopic(
  prefix: string,
  table: { source: string; database: string; schema?: string; table: string },
  kafka: Kafka = createKafka({
    brokers: stackEnv({ needs: ['KAFKA_BROKERS'] }).kafkaBrokers,
    clientId: 'rowkube-test',
  }),
): Promise<ChangeTopicRecord[]> {
  const registry = await SchemaRegistry.open({ kafka, prefix });
  const raw: { offset: string; key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[] =
    [];
  await readTopic({
    kafka,
    topic: changeTopic(prefix, table),
    fromBeginning: true,
    follow: false,
    allowMissing: true,
    onRecord: (record) => void raw.push(record),
  });
  const records: ChangeTopicRecord[] = [];
  for (const r of raw) {
    const { key, value } = await decodeNative(r, registry);
    records.push({
      offset: r.offset,
      key: r.key ?? Buffer.alloc(0),
      decodedKey: key as Record<string, unknown>,
      value: value as ChangeTopicRecord['value'],
    });
  }
  return records;
}
