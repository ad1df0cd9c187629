import { describe, expect, it } from 'vitest';
import type { TableSchema } from '../../src/core/change-event.js';
import { createKafka, KafkaChangeSink } from '../../src/kafka/index.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';

// `rowkube tail` as a user runs it: decoded records of a change topic as JSON
// lines on stdout, ending by itself at --limit.
describe('CLI > tail', () => {
  const env = stackEnv();

  it('prints decoded change records as JSON lines and stops at --limit', async () => {
    const prefix = uniqueName('rk');
    const source = uniqueName('src');
    const table: TableSchema = {
      source,
      database: 'app',
      table: 'tenants',
      columns: [
        { name: 'id', kind: 'long', nullable: false, sourceType: 'bigint' },
        { name: 'plan', kind: 'string', nullable: true, sourceType: 'varchar(16)' },
      ],
      primaryKey: ['id'],
    };
    const sink = await KafkaChangeSink.create({
      kafka: createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' }),
      prefix,
      source,
    });
    try {
      sink.append({ op: 'c', table, before: null, after: { id: 9007199254740993n, plan: 'pro' } });
      sink.append({ op: 'd', table, before: { id: 9007199254740993n, plan: 'pro' }, after: null });
      await sink.commit({
        position: { file: 'bin.000001', pos: 100, gtid: null },
        commitTsMs: 1_700_000_000_000,
      });
    } finally {
      await sink.close();
    }

    const topic = `${prefix}.${source}.tenants`;
    const tail = new RowkubeProcess(['tail', topic, '--brokers', env.kafkaBrokers.join(','), '--limit', '3']);
    expect(await tail.exited()).toBe(0);
    const lines = tail
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { key: unknown; value: { op: string; after: unknown } | null });
    expect(lines.map((l) => [l.key, l.value?.op ?? null, l.value?.after ?? null])).toEqual([
      // 64-bit integers are printed as strings: 2^53 + 1 stays exact.
      [{ id: '9007199254740993' }, 'c', { id: '9007199254740993', plan: 'pro' }],
      [{ id: '9007199254740993' }, 'd', null],
      [{ id: '9007199254740993' }, null, null],
    ]);
  });
});
