import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { CommitInfo, RowChange, TableSchema } from '../../src/core/change-event.js';
import { KafkaChangeSink, type KafkaChangeSinkOptions } from '../../src/kafka/kafka-change-sink.js';

// The sink's transaction logic against a fake kafkajs client that records what
// a broker would see. The real broker is in test/integration/kafka-change-sink.

interface Sent {
  topic: string;
  key: string;
}

/** A kafkajs stand-in: a log of transaction events, and hooks to slow down or break calls. */
function fakeKafka() {
  const log: string[] = [];
  const topics = new Set<string>();
  const hooks: { beforeSend?: () => Promise<void>; beforeCommit?: () => Promise<void> } = {};
  let open: Sent[] | undefined;
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => [...topics],
      createTopics: async ({ topics: created }: { topics: { topic: string }[] }) => {
        for (const t of created) topics.add(t.topic);
        return true;
      },
    }),
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      transaction: async () => {
        if (open !== undefined) throw new Error('a transaction is already open');
        open = [];
        return {
          sendBatch: async ({
            topicMessages,
          }: {
            topicMessages: { topic: string; messages: { key: unknown }[] }[];
          }) => {
            await hooks.beforeSend?.();
            const sent = topicMessages.flatMap(({ topic, messages }) =>
              messages.map((m) => ({
                topic,
                key: Buffer.isBuffer(m.key) ? m.key.toString('hex') : String(m.key),
              })),
            );
            open?.push(...sent);
            // "send _schemas:2 tenants:1 _offsets:1": records per topic (last name part), in order.
            log.push(
              `send ${topicMessages.map((t) => `${t.topic.split('.').pop()}:${t.messages.length}`).join(' ')}`,
            );
          },
          commit: async () => {
            await hooks.beforeCommit?.();
            log.push('commit');
            open = undefined;
          },
          abort: async () => {
            if ((open?.length ?? 0) > 0) log.push('abort');
            open = undefined;
          },
          isActive: () => open !== undefined,
        };
      },
    }),
  };
  return { kafka: kafka as unknown as Kafka, log, hooks };
}

const table: TableSchema = {
  source: 'appdb',
  database: 'app',
  table: 'tenants',
  columns: [{ name: 'id', kind: 'int', nullable: false, sourceType: 'int' }],
  primaryKey: ['id'],
};
const row = (id: number): RowChange => ({ op: 'c', table, before: null, after: { id } });
const info = (pos: number): CommitInfo => ({ position: { file: 'bin.000001', pos }, commitTsMs: pos });

async function sinkWith(options: Partial<KafkaChangeSinkOptions> = {}) {
  const fake = fakeKafka();
  const sink = await KafkaChangeSink.create({ kafka: fake.kafka, prefix: 'rk', source: 'appdb', ...options });
  return { sink, ...fake };
}

/** Lets the sink's queue run: a few macrotask turns. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('Kafka > KafkaChangeSink > transactions', () => {
  it('sends the schemas with the first message that uses them, and the position last', async () => {
    const { sink, log } = await sinkWith({ lingerMs: 0 });
    sink.append(row(1));
    await sink.commit(info(1));
    expect(log).toEqual(['send _schemas:2 tenants:1 _offsets:1', 'commit']);
    sink.append(row(2));
    await sink.commit(info(2));
    expect(log.slice(2)).toEqual(['send tenants:1 _offsets:1', 'commit']);
  });

  it('resolves commit() only once Kafka committed', async () => {
    const { sink, hooks } = await sinkWith({ lingerMs: 0 });
    let release: () => void = () => undefined;
    hooks.beforeCommit = () => new Promise((resolve) => (release = () => resolve()));
    let resolved = false;
    sink.append(row(1));
    const done = sink.commit(info(1)).then(() => (resolved = true));
    await settle();
    expect(resolved).toBe(false);
    release();
    await done;
    expect(resolved).toBe(true);
  });

  it('groups source commits that arrive while a Kafka commit is in flight, and writes one position', async () => {
    const { sink, log, hooks } = await sinkWith({ lingerMs: 0 });
    let release: () => void = () => undefined;
    hooks.beforeCommit = () => new Promise((resolve) => (release = () => resolve()));
    sink.append(row(1));
    const commits = [sink.commit(info(1))];
    await settle();
    for (let i = 2; i <= 10; i++) {
      sink.append(row(i));
      commits.push(sink.commit(info(i)));
    }
    hooks.beforeCommit = undefined;
    release();
    await Promise.all(commits);
    expect(log).toEqual([
      'send _schemas:2 tenants:1 _offsets:1',
      'commit',
      'send tenants:9 _offsets:1',
      'commit',
    ]);
    expect(sink.stats).toEqual({ events: 10, commits: 10, transactions: 2 });
  });

  it('commits a group once it holds maxBatch events, without waiting for lingerMs', async () => {
    const { sink, log } = await sinkWith({ lingerMs: 60_000, maxBatch: 3 });
    const commits: Promise<void>[] = [];
    for (let i = 1; i <= 3; i++) {
      sink.append(row(i));
      commits.push(sink.commit(info(i)));
    }
    await Promise.all(commits);
    expect(log).toEqual(['send _schemas:2 tenants:3 _offsets:1', 'commit']);
  });

  it('commits the group before a big transaction spills into Kafka, never in the middle of it', async () => {
    const { sink, log } = await sinkWith({ lingerMs: 60_000, chunkSize: 3 });
    sink.append(row(1));
    const small = sink.commit(info(1));
    // A big transaction: its first chunk must not share a Kafka transaction with the commit above.
    for (let i = 10; i < 17; i++) await sink.append(row(i));
    await small;
    // The small transaction's schemas and row are sent as one chunk (chunkSize 3), then its position.
    expect(log).toEqual([
      'send _schemas:2 tenants:1',
      'send _offsets:1',
      'commit',
      'send tenants:3',
      'send tenants:3',
    ]);
    await sink.commit(info(2));
    expect(log.slice(5)).toEqual(['send tenants:1 _offsets:1', 'commit']);
  });

  it('aborts the spilled part of a transaction on abort(), keeping earlier commits', async () => {
    const { sink, log } = await sinkWith({ lingerMs: 0, chunkSize: 2 });
    sink.append(row(1));
    await sink.commit(info(1));
    for (let i = 10; i < 15; i++) await sink.append(row(i));
    await sink.abort();
    sink.append(row(10));
    await sink.commit(info(2));
    expect(log).toEqual([
      'send _schemas:2 tenants:1',
      'send _offsets:1',
      'commit',
      'send tenants:2',
      'send tenants:2',
      'abort',
      // The schemas went down with the aborted transaction: published again.
      'send _schemas:2 tenants:1',
      'send _offsets:1',
      'commit',
    ]);
  });

  it('rejects pending commits with a retriable Kafka error and recovers on abort()', async () => {
    const { sink, hooks } = await sinkWith({ lingerMs: 0 });
    hooks.beforeSend = async () => {
      throw new Error('broker gone');
    };
    sink.append(row(1));
    await expect(sink.commit(info(1))).rejects.toMatchObject({
      code: 'ROWKUBE_ERR_KAFKA',
      retriable: true,
      message: expect.stringContaining('broker gone'),
    });
    await expect(sink.append(row(2))).rejects.toMatchObject({ code: 'ROWKUBE_ERR_KAFKA' });
    hooks.beforeSend = undefined;
    await sink.abort();
    sink.append(row(2));
    await expect(sink.commit(info(2))).resolves.toBeUndefined();
  });

  it('fails on a value that does not fit its column, naming it', async () => {
    const { sink } = await sinkWith({ lingerMs: 0 });
    sink.append({ op: 'c', table, before: null, after: { id: 'one' } });
    await expect(sink.commit(info(1))).rejects.toThrow(
      /column 'id' \(int\) needs a 32-bit integer number, got string/,
    );
  });

  it('pushes back on append() while a chunk is being sent', async () => {
    const { sink, hooks } = await sinkWith({ chunkSize: 2 });
    let release: () => void = () => undefined;
    hooks.beforeSend = () => new Promise((resolve) => (release = () => resolve()));
    expect(sink.append(row(1))).toBeUndefined();
    const pushBack = sink.append(row(2));
    expect(pushBack).toBeInstanceOf(Promise);
    let sent = false;
    void pushBack?.then(() => (sent = true));
    await settle();
    expect(sent).toBe(false);
    release();
    await pushBack;
    expect(sink.stats.events).toBe(2);
  });
});

describe('Kafka > KafkaChangeSink > schema history', () => {
  it('writes a recorded definition in the Kafka transaction of its source commit, with the position', async () => {
    const { sink, log } = await sinkWith({ lingerMs: 0 });
    sink.recordSchema({ position: info(1).position, table });
    await sink.commit(info(1));
    expect(log).toEqual(['send _schema_history:1 _offsets:1', 'commit']);
  });

  it('keeps a definition recorded during a big transaction for its commit, not a spilled chunk', async () => {
    const { sink, log } = await sinkWith({ lingerMs: 0, chunkSize: 2 });
    sink.recordSchema({ position: info(5).position, table });
    for (let i = 1; i <= 4; i++) await sink.append(row(i));
    await sink.commit(info(5));
    expect(log).toEqual([
      'send _schemas:2 tenants:2',
      'send tenants:2',
      'send _schema_history:1 _offsets:1',
      'commit',
    ]);
  });

  it('drops a recorded definition with the transaction on abort()', async () => {
    const { sink, log } = await sinkWith({ lingerMs: 0 });
    sink.recordSchema({ position: info(1).position, table });
    sink.append(row(1));
    await sink.abort();
    await sink.commit(info(2));
    expect(log).toEqual(['send _offsets:1', 'commit']);
  });
});
