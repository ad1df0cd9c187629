import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseCommand } from '../../src/cli/commands/release.js';
import { loadConfig } from '../../src/cli/load-config.js';
import { createKafka } from '../../src/kafka/index.js';
import { RowkubeMetrics } from '../../src/observability/index.js';
import { type AdminDatabase, openAdminDatabase, sourceKey } from '../../support/admin-database.js';
import { AuditFollower } from '../../support/audit-follower.js';
import { writeConfigFile } from '../../support/config-file.js';
import { liveNodes, tenantIds, tenantValues, waitForLiveNodes } from '../../support/held-deletions.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { type StageRun, startStages } from '../../support/stage-run.js';
import { waitFor } from '../../support/wait-for.js';

// The mass-deletion guard through the pipeline: MariaDB → capture → process
// (in this process) → `<prefix>.desired`, `<prefix>.audit`, `<prefix>._control`.
// A bulk DELETE keeps its nodes' desired records (so the sink keeps their
// objects), shows in the audit topic and on /readyz, lets other changes
// through, survives a processor restart, is partly cancelled by restored rows
// and is carried out by `rowkube release`.

const env = stackEnv();

describe('processor > mass-deletion guard (MariaDB, DELETE)', () => {
  const table = uniqueName('guard_tenants');
  const prefix = uniqueName('rkguard');
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  const audit = new AuditFollower(kafka, prefix);
  let db: AdminDatabase;
  let configPath: string;
  let stages: StageRun | undefined;
  let metrics: RowkubeMetrics;
  const node = (id: string) => `web/${id}`;

  function start(): void {
    metrics = new RowkubeMetrics({ processMetrics: false });
    stages = startStages(loadConfig(configPath), ['capture', 'process'], {
      logger: pino({ level: 'error' }),
      metrics,
      processor: { restartDelayMs: 200 },
    });
  }

  const auditCount = (action: string) => audit.events.filter((event) => event.action === action).length;
  const waitAudit = (action: string, count: number) =>
    audit.waitFor(`${count} '${action}' audit events`, () => auditCount(action) >= count, {
      stallMs: 20_000,
      ...(stages ? { abandon: stages.died } : {}),
    });
  const processorReason = () => metrics.readiness.report().components.processor?.reason ?? '';

  beforeAll(async () => {
    db = await openAdminDatabase('mariadb');
    await db.exec(
      `CREATE TABLE ${table} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20), active BOOLEAN)`,
    );
    configPath = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
sources:
  - name: appdb
    ${sourceKey('mariadb')}: { url: "${db.captureUrl}" }
    tables: [${table}]
hubs:
  - name: tenants
    source: appdb
    table: ${table}
    uid: tenant_id
    activate: active
    values: { plan: plan }
forms:
  - name: web
    hub: tenants
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "guard-{{ uid }}" } }
`,
    );
    await db.exec(`INSERT INTO ${table} VALUES ${tenantValues(tenantIds(1, 100))}`);
    start();
    await waitForLiveNodes(kafka, prefix, '100 live nodes', (live) => live.size === 100, stages?.died);
    await audit.follow({ waitForTopicMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await audit.close().catch(() => undefined);
    await stages?.stop().catch(() => undefined);
    await db?.exec(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await db?.close().catch(() => undefined);
  });

  it('lets a small deletion through at once', async () => {
    // 5 of 100: below both limits (more than 10 % and more than 20 nodes).
    await db.exec(`DELETE FROM ${table} WHERE tenant_id > 't095'`);
    const live = await waitForLiveNodes(kafka, prefix, '95 live nodes', (nodes) => nodes.size === 95);
    expect(live.has(node('t096'))).toBe(false);
    expect(auditCount('held')).toBe(0);
  });

  it('holds a bulk DELETE, shows it in audit and readiness, and lets other changes flow', async () => {
    await db.exec(`DELETE FROM ${table} WHERE tenant_id <= 't060'`);
    await waitAudit('held', 60);
    // Other changes flow: a new tenant, and an update of one the DELETE left.
    await db.exec(`INSERT INTO ${table} VALUES ('n001', 'gold', TRUE)`);
    await db.exec(`UPDATE ${table} SET active = FALSE WHERE tenant_id = 't061'`);
    const live = await waitForLiveNodes(
      kafka,
      prefix,
      'n001 live and t061 gone',
      (nodes) => nodes.has(node('n001')) && !nodes.has(node('t061')),
      stages?.died,
    );
    // The held nodes keep their live records: the sink keeps their objects.
    for (const id of tenantIds(1, 60)) expect(live.has(node(id)), id).toBe(true);
    expect(live.size).toBe(95);
    const held = audit.events.find((event) => event.action === 'held');
    expect(held?.reason).toMatch(/removes 60 of 95 nodes .* of hub tenants/);
    expect(held?.provenance.position).toMatch(/gtid|file/);
    expect(processorReason()).toContain('deletions held: hub tenants: 60');
    expect(metrics.readiness.report().ready).toBe(true);
    expect(await metrics.exposition()).toMatch(/rowkube_deletions_held\{hub="tenants"\} 60/);
  });

  it('cancels the held deletion of restored rows', async () => {
    await db.exec(`INSERT INTO ${table} VALUES ${tenantValues(tenantIds(1, 10))}`);
    await waitAudit('cancelled', 10);
    expect(processorReason()).toContain('hub tenants: 50');
  });

  it('keeps the deletions held across a processor restart', async () => {
    await stages?.stop();
    start();
    await waitFor('the processor to report its held deletions', () =>
      processorReason().includes('hub tenants: 50') ? true : undefined,
    );
    // A barrier: once this is live, the restart produced whatever it would have.
    await db.exec(`INSERT INTO ${table} VALUES ('n002', 'gold', TRUE)`);
    const live = await waitForLiveNodes(
      kafka,
      prefix,
      'n002 live',
      (nodes) => nodes.has(node('n002')),
      stages?.died,
    );
    for (const id of tenantIds(11, 60)) expect(live.has(node(id)), id).toBe(true);
  });

  it("carries them out on 'rowkube release' requested while the processor is down, once", async () => {
    await stages?.stop();
    const out: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => done(void out.push(String(chunk))) });
    // Not waiting: no processor runs. The request waits in the control topic.
    expect(await releaseCommand({ config: configPath, hub: 'tenants', waitSeconds: 0 }, sink)).toBe(0);
    expect(out.join('')).toContain('release of 50 held deletion(s) requested');
    start();
    const live = await waitForLiveNodes(
      kafka,
      prefix,
      'the released nodes gone',
      (nodes) => !nodes.has(node('t011')),
      stages?.died,
    );
    for (const id of tenantIds(11, 60)) expect(live.has(node(id)), id).toBe(false);
    for (const id of tenantIds(1, 10)) expect(live.has(node(id)), id).toBe(true);
    await waitAudit('released', 50);
    await waitFor('readiness without held deletions', () =>
      processorReason().includes('deletions held') ? undefined : true,
    );
    // Nothing is held any more: a second release has nothing to do, and a
    // restart does not carry the first one out again.
    out.length = 0;
    expect(await releaseCommand({ config: configPath, hub: 'tenants', waitSeconds: 0 }, sink)).toBe(0);
    expect(out.join('')).toContain('no deletions are held');
    await stages?.stop();
    start();
    await db.exec(`INSERT INTO ${table} VALUES ('n003', 'gold', TRUE)`);
    await waitForLiveNodes(kafka, prefix, 'n003 live', (nodes) => nodes.has(node('n003')), stages?.died);
    expect(auditCount('released')).toBe(50);
  });

  it('holds a TRUNCATE likewise, and releases it', async () => {
    const before = await liveNodes(kafka, prefix);
    const heldBefore = auditCount('held');
    await db.exec(`TRUNCATE TABLE ${table}`);
    await waitAudit('held', heldBefore + before.size);
    expect(await liveNodes(kafka, prefix)).toEqual(before);
    expect(
      await releaseCommand(
        { config: configPath, hub: 'tenants', waitSeconds: 30 },
        new Writable({ write: (_c, _e, done) => done() }),
      ),
    ).toBe(0);
    await waitForLiveNodes(kafka, prefix, 'no live node', (nodes) => nodes.size === 0, stages?.died);
  });
});
