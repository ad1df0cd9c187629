import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseCommand } from '../../src/cli/commands/release.js';
import { loadConfig } from '../../src/cli/load-config.js';
import { createKafka, tailTopic } from '../../src/kafka/index.js';
import {
  type AdminDatabase,
  type DatabaseKind,
  openAdminDatabase,
  sourceKey,
} from '../../support/admin-database.js';
import { AuditFollower } from '../../support/audit-follower.js';
import { writeConfigFile } from '../../support/config-file.js';
import { liveNodes, tenantIds, tenantValues, waitForLiveNodes } from '../../support/held-deletions.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { type StageRun, startStages } from '../../support/stage-run.js';

// TRUNCATE on both databases: captured as a change event with op 't' (its
// own key, before and after null), which the processor takes as the deletion
// of every row — behind the mass-deletion guard until `rowkube release`.

const env = stackEnv();
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

describe.each<DatabaseKind>(['mariadb', 'postgres'])('processor > TRUNCATE behind the guard (%s)', (kind) => {
  const table = uniqueName('trunc_tenants');
  const prefix = uniqueName('rktrunc');
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  const audit = new AuditFollower(kafka, prefix);
  let db: AdminDatabase;
  let configPath: string;
  let stages: StageRun | undefined;

  beforeAll(async () => {
    db = await openAdminDatabase(kind);
    await db.exec(
      `CREATE TABLE ${table} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20), active BOOLEAN)`,
    );
    // PostgreSQL publishes a table only for its owner: the application creates the
    // publication (its default publishes TRUNCATE too).
    if (kind === 'postgres') await db.exec(`CREATE PUBLICATION ${prefix} FOR TABLE ${table}`);
    configPath = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
sources:
  - name: appdb
    ${sourceKey(kind)}: { url: "${db.captureUrl}"${kind === 'postgres' ? `, slot: ${prefix}, publication: ${prefix}` : ''} }
    tables: [${table}]
hubs:
  - name: tenants
    source: appdb
    table: ${table}
    uid: tenant_id
    activate: active
forms:
  - name: web
    hub: tenants
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "trunc-{{ uid }}" } }
`,
    );
    await db.exec(`INSERT INTO ${table} VALUES ${tenantValues(tenantIds(1, 30))}`);
    stages = startStages(loadConfig(configPath), ['capture', 'process'], {
      logger: pino({ level: 'error' }),
      processor: { restartDelayMs: 200 },
    });
    await waitForLiveNodes(kafka, prefix, '30 live nodes', (live) => live.size === 30, stages.died);
    await audit.follow({ waitForTopicMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await audit.close().catch(() => undefined);
    await stages?.stop().catch(() => undefined);
    await db?.exec(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    if (kind === 'postgres') {
      await db?.exec(`DROP PUBLICATION IF EXISTS ${prefix}`).catch(() => undefined);
      await db?.exec(`SELECT pg_drop_replication_slot('${prefix}')`).catch(() => undefined);
    }
    await db?.close().catch(() => undefined);
  });

  it('holds the TRUNCATE, lets later rows through, and deletes on release', async () => {
    await db.exec(`TRUNCATE TABLE ${table}`);
    // A row after the truncate: a new node, while the 30 stay held.
    await db.exec(`INSERT INTO ${table} VALUES ('late', 'gold', TRUE)`);
    await audit.waitFor(
      '30 held events',
      () => audit.events.filter((e) => e.action === 'held').length >= 30,
      {
        stallMs: 20_000,
        abandon: stages?.died as Promise<never>,
      },
    );
    const live = await waitForLiveNodes(kafka, prefix, 'late live', (nodes) => nodes.has('web/late'));
    expect(live.size).toBe(31);

    // The change topic holds the truncate as op 't' under its own key.
    const truncates: unknown[] = [];
    await tailTopic({
      kafka,
      topic: `${prefix}.appdb.${table}`,
      prefix,
      fromBeginning: true,
      onRecord: (record) => {
        const value = record.value as { op?: string } | null;
        if (value?.op === 't') truncates.push(record);
      },
    });
    expect(truncates).toHaveLength(1);
    expect(truncates[0]).toMatchObject({
      key: { truncated: expect.stringContaining(table) },
      value: { op: 't', before: null, after: null },
    });

    expect(await releaseCommand({ config: configPath, hub: 'tenants', waitSeconds: 30 }, quiet)).toBe(0);
    const after = await waitForLiveNodes(kafka, prefix, 'only late live', (nodes) => nodes.size === 1);
    expect([...after]).toEqual(['web/late']);
    expect(await liveNodes(kafka, prefix)).toEqual(new Set(['web/late']));
  });
});
