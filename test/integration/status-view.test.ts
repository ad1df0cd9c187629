import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  auditTopic,
  type NodeStatus,
  schemasTopic,
  statusTopic,
} from '../../src/contracts/index.js';
import {
  AUDIT_KEY_SCHEMA,
  AUDIT_VALUE_SCHEMA,
  createKafka,
  encodeAudit,
  encodeStatus,
  encodeStatusTombstone,
  KafkaAdmin,
  nodeHistory,
  RecordProducer,
  SchemaPublisher,
  STATUS_KEY_SCHEMA,
  STATUS_VALUE_SCHEMA,
  StatusView,
} from '../../src/kafka/index.js';
import { StatusPublisher } from '../../src/sink/status/status-publisher.js';
import { deleteTopicsWithPrefix } from '../../support/kafka-cleanup.js';
import { nodeStatus } from '../../support/node-statuses.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// The readers of node status on a real broker: StatusView folds and follows
// `<prefix>.status`, nodeHistory reads one node's events from `<prefix>.audit`.

const env = stackEnv();
const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
const prefix = uniqueName('rkst');
let producer: RecordProducer;

beforeAll(async () => {
  const admin = await KafkaAdmin.connect(kafka);
  await admin.ensureTopics([
    { name: schemasTopic(prefix), kind: 'schemas' },
    { name: statusTopic(prefix), kind: 'status', partitions: 3 },
    { name: auditTopic(prefix), kind: 'audit', partitions: 3 },
  ]);
  await admin.close();
  producer = await RecordProducer.open(kafka);
  const schemas = new SchemaPublisher(schemasTopic(prefix)).recordsFor([
    STATUS_KEY_SCHEMA,
    STATUS_VALUE_SCHEMA,
    AUDIT_KEY_SCHEMA,
    AUDIT_VALUE_SCHEMA,
  ]);
  await producer.send(schemasTopic(prefix), schemas);
});

afterAll(async () => {
  await producer?.close();
  await deleteTopicsWithPrefix(kafka, prefix);
});

async function writeStatus(status: NodeStatus | { tombstone: string }): Promise<void> {
  const { message } =
    'tombstone' in status
      ? encodeStatusTombstone(statusTopic(prefix), status.tombstone)
      : encodeStatus(statusTopic(prefix), status);
  await producer.send(statusTopic(prefix), [message]);
}

function auditEvent(uid: string, name: string, appliedAtMs: bigint): AuditEvent {
  return {
    nodeId: `web/${uid}`,
    hub: 'tenants',
    form: 'web',
    resourceId: 'app',
    object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name },
    action: 'created',
    reason: '',
    errorCode: null,
    provenance: { source: 'appdb', table: 'tenants', position: null, commitTsMs: appliedAtMs - 50n },
    appliedAtMs,
    latencyMs: 50n,
    fieldManager: 'rowkube',
  };
}

describe('status > StatusView', () => {
  it('folds the topic, is ready at its end, then follows changes and tombstones', async () => {
    await writeStatus(nodeStatus('a', { state: 'Progressing' }));
    await writeStatus(nodeStatus('a'));
    await writeStatus(nodeStatus('b', { state: 'Deleted' }));
    await writeStatus({ tombstone: 'web/b' });
    await writeStatus(nodeStatus('c', { state: 'Failed' }));

    const view = await StatusView.open({ kafka, prefix });
    try {
      await view.ready();
      expect(view.list().map((s) => [s.nodeId, s.state])).toEqual([
        ['web/a', 'Ready'],
        ['web/c', 'Failed'],
      ]);
      expect(view.get('web/a')).toEqual(nodeStatus('a'));

      const seen: [string, string | undefined][] = [];
      view.subscribe((id, status) => seen.push([id, status?.state]));
      await writeStatus(nodeStatus('d', { state: 'Progressing' }));
      await writeStatus({ tombstone: 'web/c' });
      await waitFor('the live changes', () => (seen.length >= 2 ? true : undefined));
      expect(seen).toEqual([
        ['web/d', 'Progressing'],
        ['web/c', undefined],
      ]);
      expect(view.list().map((s) => s.nodeId)).toEqual(['web/a', 'web/d']);
    } finally {
      await view.close();
    }
  });

  it('says that the sink may not be running when the status topic is missing', async () => {
    await expect(StatusView.open({ kafka, prefix: uniqueName('rkmissing') })).rejects.toThrow(
      /status topic 'rkmissing_.*\.status' does not exist: is the sink running/,
    );
  });

  it('with waitForTopic, is ready at once and picks the topic up once it exists', async () => {
    const later = uniqueName('rklater');
    const view = await StatusView.open({ kafka, prefix: later, waitForTopic: true, retryMs: 200 });
    try {
      await view.ready();
      expect(view.list()).toEqual([]);
      const admin = await KafkaAdmin.connect(kafka);
      await admin.ensureTopics([
        { name: schemasTopic(later), kind: 'schemas' },
        { name: statusTopic(later), kind: 'status' },
      ]);
      await admin.close();
      await producer.send(
        schemasTopic(later),
        new SchemaPublisher(schemasTopic(later)).recordsFor([STATUS_KEY_SCHEMA, STATUS_VALUE_SCHEMA]),
      );
      const { message } = encodeStatus(statusTopic(later), nodeStatus('z'));
      await producer.send(statusTopic(later), [message]);
      await waitFor('the node of the new topic', () => view.get('web/z'));
    } finally {
      await view.close();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [schemasTopic(later), statusTopic(later)] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});

describe('status > nodeHistory', () => {
  it("gives one node's audit events oldest first, honouring sinceMs and limit", async () => {
    const base = BigInt(Date.now());
    const events = [
      auditEvent('h1', 'one', base),
      auditEvent('h2', 'other', base + 1n),
      auditEvent('h1', 'two', base + 2n),
      auditEvent('h1', 'three', base + 3n),
    ];
    for (const event of events) {
      const { message } = encodeAudit(auditTopic(prefix), event);
      await producer.send(auditTopic(prefix), [message]);
    }
    const names = (list: { object: { name: string } | null }[]) => list.map((e) => e.object?.name);
    expect(names(await nodeHistory({ kafka, prefix, nodeId: 'web/h1' }))).toEqual(['one', 'two', 'three']);
    expect(names(await nodeHistory({ kafka, prefix, nodeId: 'web/h1', limit: 2 }))).toEqual(['two', 'three']);
    expect(names(await nodeHistory({ kafka, prefix, nodeId: 'web/h2' }))).toEqual(['other']);
    expect(await nodeHistory({ kafka, prefix, nodeId: 'web/none' })).toEqual([]);
    expect(await nodeHistory({ kafka, prefix, nodeId: 'web/h1', sinceMs: Date.now() + 3_600_000 })).toEqual(
      [],
    );
  });

  it('says that the sink may not be running when the audit topic is missing', async () => {
    await expect(nodeHistory({ kafka, prefix: uniqueName('rkmissing'), nodeId: 'web/a' })).rejects.toThrow(
      /audit topic 'rkmissing_.*\.audit' does not exist: is the sink running/,
    );
  });
});

describe('status > StatusPublisher', () => {
  it('coalesces a bulk: the latest status per node per send, every waiter answered', async () => {
    const publisher = await StatusPublisher.open(producer, statusTopic(prefix), schemasTopic(prefix));
    const admin = await KafkaAdmin.connect(kafka);
    const before = (await admin.topicEnds(statusTopic(prefix))).reduce((sum, p) => sum + Number(p.high), 0);
    let built = 0;
    const waits: Promise<void>[] = [];
    // 50 nodes, 10 states each, asked for at once: the first send takes the first, the next the latest.
    for (let round = 0; round < 10; round++)
      for (let n = 0; n < 50; n++)
        waits.push(
          publisher.publish(`web/bulk${n}`, () => {
            built += 1;
            return nodeStatus(`bulk${n}`, { state: round === 9 ? 'Ready' : 'Progressing' });
          }),
        );
    await Promise.all(waits);
    await publisher.idle();
    const after = (await admin.topicEnds(statusTopic(prefix))).reduce((sum, p) => sum + Number(p.high), 0);
    await admin.close();
    expect(after - before).toBe(built);
    expect(built).toBeLessThanOrEqual(100);
    const view = await StatusView.open({ kafka, prefix });
    try {
      await view.ready();
      const bulk = view.list().filter((s) => s.nodeId.startsWith('web/bulk'));
      expect(bulk).toHaveLength(50);
      expect(bulk.every((s) => s.state === 'Ready')).toBe(true);
    } finally {
      await view.close();
    }
  });
});

describe('status > rowkube status --watch', () => {
  it('prints the nodes, then each change as a JSON line, a removed node with status null', async () => {
    await writeStatus(nodeStatus('w1'));
    const cli = new RowkubeProcess([
      'status',
      '--brokers',
      env.kafkaBrokers.join(','),
      '--prefix',
      prefix,
      '--watch',
      '-o',
      'json',
    ]);
    try {
      const lines = () =>
        cli
          .text()
          .split('\n')
          .filter((line) => line.startsWith('{"nodeId"'))
          .map((line) => JSON.parse(line) as { nodeId: string; status: { state: string } | null });
      await waitFor('the initial list', () => (cli.text().includes('"web/w1"') ? true : undefined));
      await writeStatus(nodeStatus('w2', { state: 'Progressing' }));
      await writeStatus({ tombstone: 'web/w1' });
      const changes = await waitFor('two changes', () => (lines().length >= 2 ? lines() : undefined));
      expect(changes.map((c) => [c.nodeId, c.status?.state ?? null])).toEqual([
        ['web/w2', 'Progressing'],
        ['web/w1', null],
      ]);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
