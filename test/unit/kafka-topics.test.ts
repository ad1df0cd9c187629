import { describe, expect, it } from 'vitest';
import {
  auditTopic,
  changeTopic,
  desiredTopic,
  offsetsTopic,
  schemasTopic,
} from '../../src/contracts/index.js';
import type { TableSchema } from '../../src/core/change-event.js';
import { ensureTopics, type TopicAdmin } from '../../src/kafka/topics.js';

const mysqlTable = { source: 'appdb', database: 'app', table: 'tenants' } satisfies Partial<TableSchema>;

describe('Kafka > topics > names', () => {
  it('names the change topic <prefix>.<source>.<table>', () => {
    expect(changeTopic('rowkube', mysqlTable)).toBe('rowkube.appdb.tenants');
    expect(changeTopic('rowkube', { ...mysqlTable, schema: 'public' })).toBe('rowkube.appdb.tenants');
  });

  it('adds a PostgreSQL schema other than public', () => {
    expect(changeTopic('rowkube', { ...mysqlTable, schema: 'billing' })).toBe(
      'rowkube.appdb.billing.tenants',
    );
  });

  it('names the fixed topics', () => {
    expect([schemasTopic('rk'), offsetsTopic('rk'), desiredTopic('rk'), auditTopic('rk')]).toEqual([
      'rk._schemas',
      'rk._offsets',
      'rk.desired',
      'rk.audit',
    ]);
  });

  it('refuses a name Kafka would refuse, naming the table and the characters', () => {
    expect(() => changeTopic('rowkube', { ...mysqlTable, table: 'my table' })).toThrow(
      /ROWKUBE_ERR_CONFIG: table appdb\/app.my table: topic name 'rowkube.appdb.my table' contains " "/,
    );
    expect(() => changeTopic('rowkube', { ...mysqlTable, table: 'größe' })).toThrow(/"ö", "ß"/);
  });

  it('refuses names longer than 249 characters', () => {
    expect(() => changeTopic('rowkube', { ...mysqlTable, table: 'x'.repeat(240) })).toThrow(/at most 249/);
  });

  it('refuses a dot inside a name part, which would make two tables share a topic', () => {
    expect(() => changeTopic('rowkube', { ...mysqlTable, schema: 'public', table: 'a.b' })).toThrow(
      /the table name 'a.b' contains '.'/,
    );
  });

  it('accepts dashes and underscores', () => {
    expect(changeTopic('rk-test_1', { ...mysqlTable, table: 'order-items_2' })).toBe(
      'rk-test_1.appdb.order-items_2',
    );
  });
});

describe('Kafka > topics > ensureTopics', () => {
  function fakeAdmin(existing: string[]) {
    const created: unknown[] = [];
    const admin: TopicAdmin = {
      listTopics: async () => existing,
      createTopics: async (options) => {
        created.push(...options.topics);
        return true;
      },
    };
    return { admin, created };
  }

  it('creates only missing topics, compacted by kind', async () => {
    const { admin, created } = fakeAdmin(['rk._schemas']);
    const names = await ensureTopics(admin, [
      { name: 'rk._schemas', kind: 'schemas' },
      { name: 'rk._offsets', kind: 'offsets', partitions: 6 },
      { name: 'rk.appdb.tenants', kind: 'change', partitions: 3, replicationFactor: 3 },
      { name: 'rk.audit', kind: 'audit' },
    ]);
    expect(names).toEqual(['rk._offsets', 'rk.appdb.tenants', 'rk.audit']);
    expect(created).toEqual([
      expect.objectContaining({
        topic: 'rk._offsets',
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: expect.arrayContaining([{ name: 'cleanup.policy', value: 'compact' }]),
      }),
      expect.objectContaining({
        topic: 'rk.appdb.tenants',
        numPartitions: 3,
        replicationFactor: 3,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      }),
      expect.objectContaining({
        topic: 'rk.audit',
        configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
      }),
    ]);
  });

  it('does nothing when every topic exists', async () => {
    const { admin, created } = fakeAdmin(['rk.desired']);
    expect(await ensureTopics(admin, [{ name: 'rk.desired', kind: 'desired' }])).toEqual([]);
    expect(created).toEqual([]);
  });
});
