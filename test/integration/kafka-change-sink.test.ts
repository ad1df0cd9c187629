import { afterAll, describe, expect, it } from 'vitest';
import { changeTopic } from '../../src/contracts/index.js';
import type { CommitInfo, Row, RowChange, TableSchema } from '../../src/core/change-event.js';
import { isRetriable } from '../../src/core/errors.js';
import { ChangeEncoder } from '../../src/kafka/change-encoder.js';
import { KafkaChangeSink, type KafkaChangeSinkOptions } from '../../src/kafka/kafka-change-sink.js';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { readLastPosition } from '../../src/kafka/offset-store.js';
import { type ChangeEnvelope, decodeNative } from '../../src/kafka/record-decoder.js';
import { KEY_SCHEMA_HEADER, VALUE_SCHEMA_HEADER } from '../../src/kafka/schema-id.js';
import { SchemaRegistry } from '../../src/kafka/schema-registry.js';
import { endOffsets, readTopic, type TopicRecord } from '../../src/kafka/topic-reader.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// KafkaChangeSink against the local broker: transactions, offsets, schemas.
// Every test has its own topic prefix and source name (transactional id).

const env = stackEnv();
const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
const prefixes: string[] = [];

function tenants(source: string): TableSchema {
  return {
    source,
    database: 'app',
    table: 'tenants',
    columns: [
      { name: 'id', kind: 'long', nullable: false, sourceType: 'bigint' },
      { name: 'plan', kind: 'string', nullable: true, sourceType: 'varchar(20)' },
      { name: 'seats', kind: 'int', nullable: true, sourceType: 'int' },
    ],
    primaryKey: ['id'],
  };
}

function setup(overrides: Partial<KafkaChangeSinkOptions> = {}) {
  const prefix = uniqueName('rk');
  prefixes.push(prefix);
  const source = uniqueName('src');
  const table = tenants(source);
  const options: KafkaChangeSinkOptions = { kafka, prefix, source, ...overrides };
  return { prefix, source, table, topic: changeTopic(prefix, table), options };
}

const insert = (table: TableSchema, id: number, plan = 'free'): RowChange => ({
  op: 'c',
  table,
  before: null,
  after: { id: BigInt(id), plan, seats: id % 100 },
});

const info = (pos: number): CommitInfo => ({
  position: { file: 'mariadb-bin.000001', pos, gtid: `0-1-${pos}` },
  txId: `0-1-${pos}`,
  commitTsMs: 1_700_000_000_000 + pos,
});

/** What a read_committed consumer sees: everything up to the last stable offset. */
async function readAll(topic: string): Promise<TopicRecord[]> {
  const records: TopicRecord[] = [];
  await readTopic({
    kafka,
    topic,
    fromBeginning: true,
    follow: false,
    allowMissing: true,
    onRecord: (r) => {
      records.push(r);
    },
  });
  return records;
}

/**
 * What a read_committed consumer sees once `count` records are visible. A
 * Kafka commit is durable when EndTxn returns (commit() resolves then), but
 * the commit markers reach the partitions a moment later.
 */
async function readVisible(topic: string, count: number): Promise<TopicRecord[]> {
  return waitFor(`${count} committed records in ${topic}`, async () => {
    const records = await readAll(topic);
    return records.length >= count ? records : undefined;
  });
}

async function positionOf(prefix: string, name: string, expected: Record<string, unknown>) {
  return waitFor(`the stored position of ${name}`, async () => {
    const position = await readLastPosition({ kafka, prefix, name });
    return JSON.stringify(position) === JSON.stringify(expected) ? position : undefined;
  });
}

/** Waits until a read_uncommitted consumer saw `count` records: they reached the broker, in an open transaction. */
async function waitForUncommitted(topic: string, count: number): Promise<void> {
  const controller = new AbortController();
  let seen = 0;
  const reading = readTopic({
    kafka,
    topic,
    fromBeginning: true,
    follow: true,
    isolation: 'read_uncommitted',
    signal: controller.signal,
    onRecord: () => {
      seen += 1;
    },
  });
  try {
    await waitFor(`${count} uncommitted records in ${topic}`, () => (seen >= count ? true : undefined));
  } finally {
    controller.abort();
    await reading;
  }
}

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(`${p}.`)));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describe('Kafka > KafkaChangeSink', () => {
  it('delivers committed transactions in order, with keys, headers and the last position', async () => {
    const { prefix, source, table, topic, options } = setup();
    const sink = await KafkaChangeSink.create(options);
    try {
      await sink.append(insert(table, 1));
      await sink.append(insert(table, 2));
      await sink.commit(info(100));
      await sink.append({
        op: 'u',
        table,
        before: { id: 1n, plan: 'free', seats: 1 },
        after: { id: 1n, plan: 'pro', seats: 1 },
      });
      await sink.append({ op: 'd', table, before: { id: 2n, plan: 'free', seats: 2 }, after: null });
      await sink.commit(info(200));
    } finally {
      await sink.close();
    }

    // A consumer in another "process": nothing but the brokers and a fresh registry.
    const registry = await SchemaRegistry.open({ kafka, prefix });
    const records = await readVisible(topic, 5);
    const decoded = await Promise.all(records.map((r) => decodeNative(r, registry)));
    expect(
      decoded.map(({ key, value }) => [(key as Row).id, (value as ChangeEnvelope | null)?.op ?? null]),
    ).toEqual([
      [1n, 'c'],
      [2n, 'c'],
      [1n, 'u'],
      [2n, 'd'],
      [2n, null],
    ]);
    const { keySchema, valueSchema } = new ChangeEncoder({ prefix }).describe(table);
    expect(records[0]?.headers).toEqual({
      [KEY_SCHEMA_HEADER]: keySchema.id,
      [VALUE_SCHEMA_HEADER]: valueSchema.id,
    });
    expect(records[4]?.headers).toEqual({ [KEY_SCHEMA_HEADER]: keySchema.id });
    expect(decoded[2]?.value).toMatchObject({
      before: { plan: 'free' },
      after: { id: 1n, plan: 'pro', seats: 1 },
      source: { connector: 'mysql', name: source, txId: '0-1-200', pos: 200n, ts_ms: 1_700_000_000_200n },
    });
    expect(registry.ids().sort()).toEqual([keySchema.id, valueSchema.id].sort());
    expect(await positionOf(prefix, source, info(200).position)).toEqual(info(200).position);
  });

  it('is read by a plain read_committed consumer group too', async () => {
    const { table, topic, options } = setup();
    const sink = await KafkaChangeSink.create(options);
    await sink.append(insert(table, 7));
    await sink.commit(info(7));
    await sink.close();

    const consumer = kafka.consumer({ groupId: uniqueName('g'), maxWaitTimeInMs: 100 });
    const keys: Buffer[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void keys.push(message.key as Buffer) });
      await waitFor('the committed record', () => (keys.length > 0 ? keys : undefined));
      expect(keys).toHaveLength(1);
    } finally {
      await consumer.disconnect();
    }
  });

  it('groups pipelined source commits into few Kafka transactions, resolving each after Kafka committed', async () => {
    const { prefix, source, table, topic, options } = setup({ lingerMs: 20 });
    const sink = await KafkaChangeSink.create(options);
    const commits: Promise<void>[] = [];
    try {
      for (let i = 1; i <= 200; i++) {
        await sink.append(insert(table, i));
        commits.push(sink.commit(info(i)));
      }
      await Promise.all(commits);
      expect(sink.stats).toMatchObject({ events: 200, commits: 200 });
      expect(sink.stats.transactions).toBeLessThan(50);
    } finally {
      await sink.close();
    }
    expect(await readVisible(topic, 200)).toHaveLength(200);
    expect(await positionOf(prefix, source, info(200).position)).toEqual(info(200).position);
  });

  it('leaves nothing of an aborted transaction visible, and the position unchanged', async () => {
    const { prefix, source, table, topic, options } = setup({ chunkSize: 10 });
    const sink = await KafkaChangeSink.create(options);
    try {
      await sink.append(insert(table, 1));
      await sink.commit(info(1));
      // 25 changes: two chunks go into the open Kafka transaction before abort.
      for (let i = 100; i < 125; i++) await sink.append(insert(table, i));
      expect(sink.stats.events).toBe(21);
      await waitForUncommitted(topic, 21);
      await sink.abort();
      // The same transaction read again after a reconnect, then committed.
      for (let i = 100; i < 103; i++) await sink.append(insert(table, i, 'again'));
      await sink.commit(info(3));
    } finally {
      await sink.close();
    }
    const registry = await SchemaRegistry.open({ kafka, prefix });
    const values = await Promise.all(
      (await readVisible(topic, 4)).map(async (r) => (await decodeNative(r, registry)).value),
    );
    expect(values.map((v) => (v as ChangeEnvelope).after?.plan)).toEqual(['free', 'again', 'again', 'again']);
    expect(await positionOf(prefix, source, info(3).position)).toEqual(info(3).position);
  });

  it('fails pending commits with a retriable error when Kafka fails, committing nothing of them', async () => {
    const { prefix, source, table, topic, options } = setup({ lingerMs: 60_000 });
    const sink = await KafkaChangeSink.create(options);
    await sink.append(insert(table, 1));
    const first = sink.commit(info(1));
    await sink.flush();
    await first;
    await sink.append(insert(table, 2));
    const pending = sink.commit(info(2));
    // The lingering group is only sent on flush: break the producer first.
    // biome-ignore lint/suspicious/noExplicitAny: reaching into the sink to simulate a lost connection.
    await (sink as any).producer.disconnect();
    await sink.flush().catch(() => undefined);
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ROWKUBE_ERR_KAFKA' });
    expect(isRetriable(error)).toBe(true);
    await expect(sink.append(insert(table, 3))).rejects.toMatchObject({ code: 'ROWKUBE_ERR_KAFKA' });

    // abort() recovers: the connector resumes from the stored position.
    await sink.abort();
    expect(await readLastPosition({ kafka, prefix, name: source })).toEqual(info(1).position);
    await sink.append(insert(table, 2));
    const again = sink.commit(info(2));
    await sink.flush();
    await again;
    await sink.close();
    expect(await readVisible(topic, 2)).toHaveLength(2);
    expect(await positionOf(prefix, source, info(2).position)).toEqual(info(2).position);
  });

  it('fences off an older instance of the same source, whose open transaction is aborted', async () => {
    const { prefix, source, table, topic, options } = setup({ chunkSize: 5 });
    const old = await KafkaChangeSink.create(options);
    await old.append(insert(table, 1));
    await old.commit(info(1));
    for (let i = 10; i < 20; i++) await old.append(insert(table, i));

    const successor = await KafkaChangeSink.create(options);
    try {
      const error = await old.commit(info(2)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'ROWKUBE_ERR_KAFKA' });
      expect(isRetriable(error)).toBe(false);
      await expect(old.abort()).rejects.toThrow(/another process took over/);
      expect(await readLastPosition({ kafka, prefix, name: source })).toEqual(info(1).position);
      expect(await readAll(topic)).toHaveLength(1);
    } finally {
      await old.close();
      await successor.close();
    }
  });

  it('streams a 100,000-row source transaction through in chunks', async () => {
    const { prefix, source, table, topic, options } = setup({ chunkSize: 1000 });
    const sink = await KafkaChangeSink.create(options);
    const rows = 100_000;
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    try {
      for (let i = 0; i < rows; i++) {
        await sink.append(insert(table, i, `plan-${i % 7}`));
        if (i % 5000 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
      // All but the last partial chunk left memory before the commit.
      expect(sink.stats.events).toBe(rows);
      const ends = await endOffsets(kafka, topic);
      expect(ends?.[0]?.high).toBe(0n);
      await sink.commit(info(rows));
    } finally {
      await sink.close();
    }
    expect(heapPeak - heapBefore).toBeLessThan(256 * 2 ** 20);
    await waitFor('every row to be visible', async () => {
      let count = 0;
      await readTopic({ kafka, topic, fromBeginning: true, follow: false, onRecord: () => void count++ });
      return count === rows ? count : undefined;
    });
    expect(await positionOf(prefix, source, info(rows).position)).toEqual(info(rows).position);
  });

  it('resolves a schema published after the registry read the topic', async () => {
    const { prefix, table, topic, options } = setup();
    const registry = await SchemaRegistry.open({ kafka, prefix });
    expect(registry.ids()).toEqual([]);
    const sink = await KafkaChangeSink.create(options);
    await sink.append(insert(table, 5));
    await sink.commit(info(5));
    await sink.close();
    const [record] = await readVisible(topic, 1);
    const { key } = await decodeNative(record as TopicRecord, registry);
    expect(key).toEqual({ id: 5n });
  });
});
