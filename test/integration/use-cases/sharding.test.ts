import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../src/kafka/index.js';
import { AuditFollower } from '../../../support/audit-follower.js';
import { ObjectPresence } from '../../../support/object-presence.js';
import { type ShardingRun, startSharding } from '../../../support/sharding-run.js';
import { stackEnv } from '../../../support/stack-env.js';

// examples/use-cases/sharding on MariaDB (docs/use-cases/sharding.md):
// tenants placed on the stack's two clusters by their `shard` column, each
// only on its own; a tenant moved to the other cluster is created there and
// removed from the old one after, never absent from both (both apiservers
// watched throughout the move); a shard naming no cluster stops that tenant only.
describe('use cases > sharding over two clusters', () => {
  let sharding: ShardingRun;
  let audit: AuditFollower;

  beforeAll(async () => {
    sharding = await startSharding();
    audit = new AuditFollower(
      createKafka({ brokers: stackEnv().kafkaBrokers, clientId: 'sharding-audit' }),
      sharding.run.prefix,
    );
    await audit.follow({ waitForTopicMs: 60_000 });
  });

  afterAll(async () => {
    await audit?.close();
    await sharding?.stop();
  });

  it('places each tenant on the cluster its shard names, and only there', async () => {
    const { run, app } = sharding;
    for (const [uid, home, other] of [
      ['acme', 'shard-a', 'shard-b'],
      ['globex', 'shard-b', 'shard-a'],
      ['initech', 'shard-a', 'shard-b'],
    ] as const) {
      const deployment = await run.until(`${uid}'s app on ${home}`, () => app(home, uid));
      expect(deployment.metadata.labels).toMatchObject({ app: 'web' });
      expect(await app(other, uid)).toBeUndefined();
      const namespace = { apiVersion: 'v1', kind: 'Namespace', name: run.tenantNamespace(uid) };
      expect(await sharding.shards[other].get(namespace)).toBeUndefined();
    }
    // Audit events name the cluster they were taken on.
    const created = await run.until('globex created in the audit', async () => {
      const events = audit.events.filter(
        (event) => event.nodeId === 'sharded/globex' && event.action === 'created',
      );
      return events.length === 3 ? events : undefined;
    });
    expect(created.map((event) => event.cluster)).toEqual(['shard-b', 'shard-b', 'shard-b']);
  });

  it('moves a tenant to the other cluster: created there first, then removed from the old one', async () => {
    const { run, app, shards } = sharding;
    const target = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: run.tenantNamespace('acme'),
      name: 'app',
    };
    const gaps: string[] = [];
    const onA: ObjectPresence = new ObjectPresence(shards['shard-a'], target, () => check());
    const onB: ObjectPresence = new ObjectPresence(shards['shard-b'], target, () => check());
    const check = () => {
      if (!onA.present && !onB.present) gaps.push(`A: ${onA.events.join(' ')} | B: ${onB.events.join(' ')}`);
    };
    await onA.start();
    await onB.start();
    try {
      expect(onA.present).toBe(true);
      await run.db.exec(`UPDATE tenants SET shard = 'shard-b' WHERE tenant_id = 'acme'`);
      await run.until('acme on shard-b and gone from shard-a', async () =>
        onB.present && !onA.present ? true : undefined,
      );
    } finally {
      await onA.stop();
      await onB.stop();
    }
    expect(gaps).toEqual([]);
    expect(onB.events[0]).toBe('ADDED');
    expect(onA.events).toContain('DELETED');
    const moved = await app('shard-b', 'acme');
    expect((moved?.status as { availableReplicas?: number } | undefined)?.availableReplicas).toBe(1);
    // The namespace on the old cluster goes too (it may still be terminating).
    await run.until('acme namespace leaving shard-a', async () => {
      const namespace = await shards['shard-a'].get({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: run.tenantNamespace('acme'),
      });
      return namespace === undefined || namespace.metadata.deletionTimestamp !== undefined ? true : undefined;
    });
    // The audit shows both sides, the new cluster's first.
    await run.until('the move in the audit', async () =>
      audit.events.some(
        (e) => e.nodeId === 'sharded/acme' && e.cluster === 'shard-a' && e.action === 'deleted',
      )
        ? true
        : undefined,
    );
    const acme = audit.events.filter((e) => e.nodeId === 'sharded/acme' && e.resourceId === 'app');
    const createdOnB = acme.findIndex((e) => e.cluster === 'shard-b' && e.action === 'created');
    const deletedOnA = acme.findIndex((e) => e.cluster === 'shard-a' && e.action === 'deleted');
    expect(createdOnB).toBeGreaterThanOrEqual(0);
    expect(deletedOnA).toBeGreaterThan(createdOnB);
  });

  it('a shard naming no cluster stops that tenant only, with an error naming the value and the clusters', async () => {
    const { run, app } = sharding;
    await run.db.exec(
      `UPDATE tenants SET shard = 'shard-c', app_version = '2.5.0' WHERE tenant_id = 'initech'`,
    );
    await run.db.exec(`UPDATE tenants SET app_version = '2.5.0' WHERE tenant_id = 'globex'`);
    const failed = await run.until('initech failed in the audit', async () =>
      audit.events.find((e) => e.nodeId === 'sharded/initech' && e.action === 'failed'),
    );
    expect(failed.reason).toContain('"shard-c"');
    expect(failed.reason).toContain('shard-a, shard-b');
    // Left where it was, as it was; the other tenants go on.
    expect(await app('shard-a', 'initech')).toBeDefined();
    await run.until('globex on 2.5.0', async () => {
      const deployment = await app('shard-b', 'globex');
      return JSON.stringify(deployment?.spec).includes('app:2.5.0') ? true : undefined;
    });
  });
});
