import { changeTopic } from '../src/contracts/index.js';
import {
  createKafka,
  decodeNative,
  type Kafka,
  readLastPosition,
  readTopic,
  SchemaRegistry,
  type TopicRecord,
} from '../src/kafka/index.js';
import { type DatabaseKind, sourceKey } from './admin-database.js';
import { configFrom } from './config-file.js';
import { stackEnv } from './stack-env.js';
import { startStages } from './stage-run.js';
import { waitFor } from './wait-for.js';

// Capture of one source into the stack's Kafka, in the test process and wired
// as `rowkube capture` wires it (the capture stage: the connector, the capture
// loop, the Kafka sink with its stored position and schema history). Stopping
// and starting it again is a restart from what Kafka stored; helpers to read a
// change topic back, raw key bytes included.

export interface KafkaCaptureOptions {
  kind: DatabaseKind;
  /** The capture user's URL (AdminDatabase.captureUrl). */
  captureUrl: string;
  source: string;
  prefix: string;
  tables: string[];
}

export interface KafkaCapture {
  /** Resolves once a position is stored: on a first start, the snapshot is committed and the stream runs. */
  positioned(): Promise<void>;
  /** Stops capture; rejects with the failure that stopped it, if one did. */
  stop(): Promise<void>;
}

export function startKafkaCapture(options: KafkaCaptureOptions): KafkaCapture {
  const env = stackEnv({ needs: ['KAFKA_BROKERS'] });
  const config = configFrom({
    kafka: { brokers: env.kafkaBrokers, topicPrefix: options.prefix },
    sources: [
      {
        name: options.source,
        [sourceKey(options.kind)]: { url: options.captureUrl },
        tables: options.tables,
      },
    ],
  });
  const run = startStages(config, ['capture']);
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  return {
    positioned: () =>
      waitFor(
        `a stored position of ${options.source}`,
        () => readLastPosition({ kafka, prefix: options.prefix, name: options.source }),
        { timeoutMs: 30_000, intervalMs: 100, abandon: run.died },
      ).then(() => undefined),
    stop: () => run.stop(),
  };
}

/** One record of a change topic: the raw key bytes, and key and value decoded with the project's decoder. */
export interface ChangeTopicRecord {
  partition: number;
  offset: string;
  /** The record's timestamp: when the capture's producer sent it, by its clock (ms since epoch). */
  timestampMs: number;
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

/** Every committed record of a table's change topic, in offset order per partition. */
export async function readChangeTopic(
  prefix: string,
  table: { source: string; database: string; schema?: string; table: string },
  kafka: Kafka = createKafka({
    brokers: stackEnv({ needs: ['KAFKA_BROKERS'] }).kafkaBrokers,
    clientId: 'rowkube-test',
  }),
): Promise<ChangeTopicRecord[]> {
  const registry = await SchemaRegistry.open({ kafka, prefix });
  const raw: TopicRecord[] = [];
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
      partition: r.partition,
      offset: r.offset,
      timestampMs: Number(r.timestamp),
      key: r.key ?? Buffer.alloc(0),
      decodedKey: key as Record<string, unknown>,
      value: value as ChangeTopicRecord['value'],
    });
  }
  return records;
}
