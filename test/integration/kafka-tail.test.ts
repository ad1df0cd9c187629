import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { changeTopic, offsetsTopic } from '../../src/contracts/index.js';
import type { TableSchema } from '../../src/core/change-event.js';
import { KafkaChangeSink } from '../../src/kafka/kafka-change-sink.js';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { type TailRecord, tailTopic, tailToStream } from '../../src/kafka/tail.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// `rowkube tail`: records of rowkube topics decoded into JSON lines.

const env = stackEnv();
const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
const prefix = uniqueName('rk');
const source = uniqueName('src');
const table: TableSchema = {
  source,
  database: 'app',
  table: 'tenants',
  columns: [
    { name: 'tenant-id', kind: 'long', nullable: false, sourceType: 'bigint' },
    { name: 'logo', kind: 'bytes', nullable: true, sourceType: 'blob' },
    { name: 'price', kind: 'decimal', nullable: true, sourceType: 'decimal(20,2)' },
  ],
  primaryKey: ['tenant-id'],
};
const topic = changeTopic(prefix, table);

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describe('Kafka > tail', () => {
  it('prints change records as JSON with database column names, tombstones with value null', async () => {
    const sink = await KafkaChangeSink.create({ kafka, prefix, source });
    await sink.append({
      op: 'c',
      table,
      before: null,
      after: { 'tenant-id': 9007199254740993n, logo: Buffer.from('hi'), price: '10.50' },
    });
    await sink.append({ op: 'd', table, before: { 'tenant-id': 1n, logo: null, price: null }, after: null });
    await sink.commit({ position: { file: 'mariadb-bin.000001', pos: 42 }, commitTsMs: 1_700_000_000_000 });
    await sink.close();

    const records = await waitFor('three visible records', async () => {
      const seen: TailRecord[] = [];
      await tailTopic({ kafka, topic, prefix, onRecord: (r) => void seen.push(r) });
      return seen.length === 3 ? seen : undefined;
    });
    expect(records[0]).toMatchObject({
      topic,
      partition: 0,
      offset: '0',
      key: { 'tenant-id': '9007199254740993' },
      value: {
        op: 'c',
        before: null,
        after: { 'tenant-id': '9007199254740993', logo: 'aGk=', price: '10.50' },
        source: { connector: 'mysql', name: source, file: 'mariadb-bin.000001', pos: '42' },
        unchanged: [],
      },
      headers: { 'rowkube.key.schema': expect.any(String), 'rowkube.value.schema': expect.any(String) },
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    expect(records[1]).toMatchObject({ key: { 'tenant-id': '1' }, value: { op: 'd', after: null } });
    expect(records[2]).toMatchObject({ key: { 'tenant-id': '1' }, value: null });
    expect(records[2]?.headers).not.toHaveProperty('rowkube.value.schema');
  });

  it('writes JSON lines to a stream and stops after the limit', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    const count = await tailToStream({ kafka, topic, prefix, limit: 2, out });
    expect(count).toBe(2);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1] as string)).toMatchObject({ offset: '1', value: { op: 'd' } });
  });

  it('prints stored positions as JSON', async () => {
    const records: TailRecord[] = [];
    await tailTopic({ kafka, topic: offsetsTopic(prefix), prefix, onRecord: (r) => void records.push(r) });
    expect(records.at(-1)).toMatchObject({ key: source, value: { file: 'mariadb-bin.000001', pos: 42 } });
    expect(records.at(-1)).not.toHaveProperty('headers');
  });

  it('follows new records until stopped', async () => {
    const controller = new AbortController();
    const seen: TailRecord[] = [];
    const following = tailTopic({
      kafka,
      topic,
      prefix,
      fromBeginning: false,
      follow: true,
      signal: controller.signal,
      onRecord: (r) => void seen.push(r),
    });
    const sink = await KafkaChangeSink.create({ kafka, prefix, source });
    // The follower joins its group in the background: keep committing until it sees one.
    let id = 100n;
    await waitFor(
      'the follower to print a new record',
      async () => {
        await sink.append({
          op: 'c',
          table,
          before: null,
          after: { 'tenant-id': id++, logo: null, price: null },
        });
        await sink.commit({
          position: { file: 'mariadb-bin.000001', pos: Number(id) },
          commitTsMs: Date.now(),
        });
        return seen.length > 0 ? seen : undefined;
      },
      { intervalMs: 200 },
    );
    await sink.close();
    controller.abort();
    expect(await following).toBeGreaterThan(0);
    const firstKey = seen[0]?.key as Record<string, string> | undefined;
    expect(Number(firstKey?.['tenant-id'])).toBeGreaterThanOrEqual(100);
  });
});
