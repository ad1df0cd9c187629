import mysql from 'mysql2/promise';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/load-config.js';
import { createKafka } from '../../src/kafka/index.js';
import { writeConfigFile } from '../../support/config-file.js';
import { type DesiredJson, manifestsOf, readDesired, recordsOf } from '../../support/desired-records.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { type StageRun, startStages } from '../../support/stage-run.js';
import { waitFor } from '../../support/wait-for.js';

// The processor against the real stack: rows in MariaDB → capture (its own
// process) → change topic → processor (in process) → `<prefix>.desired`, read
// back read_committed and decoded through `<prefix>._schemas` as `tail` does.

const env = stackEnv();

describe('processor > end to end (MariaDB → capture → process → desired topic)', () => {
  const table = uniqueName('tenants');
  const source = uniqueName('src');
  const prefix = uniqueName('rk');
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  let db: mysql.Connection;
  let capture: RowkubeProcess;
  let configPath: string;
  let processor: StageRun | undefined;

  function startProcessor() {
    processor = startStages(loadConfig(configPath), ['process'], {
      logger: pino({ level: 'warn' }),
      processor: { restartDelayMs: 200 },
    });
  }

  const desired = () => readDesired(kafka, prefix);

  /** Waits until the node has `count` records; returns them. */
  async function until(id: string, count: number): Promise<(DesiredJson | null)[]> {
    const waiting = waitFor(`${count} desired record(s) of ${id}`, async () => {
      const found = recordsOf(await desired(), id);
      return found.length >= count ? found : undefined;
    });
    try {
      return await Promise.race([waiting, ...(processor ? [processor.died] : [])]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\ncapture output:\n${capture.lastOutput()}`);
    }
  }

  beforeAll(async () => {
    db = await mysql.createConnection(env.mysqlAdminUrl);
    await db.query(
      `CREATE TABLE ${table} (tenant_id VARCHAR(64) PRIMARY KEY, plan VARCHAR(16) NULL, replicas INT NOT NULL, active BOOLEAN NOT NULL, note VARCHAR(32) NULL)`,
    );
    configPath = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
sources:
  - name: ${source}
    mysql: { url: "${env.mysqlUrl}" }
    tables: [${table}]
hubs:
  - name: tenants
    source: ${source}
    table: ${table}
    uid: tenant_id
    activate: active
    values: { plan: plan, replicas: replicas }
forms:
  - name: web
    hub: tenants
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "tenant-{{ uid }}" } }
      - id: config
        dependIds: [ns]
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: settings, namespace: "tenant-{{ uid }}" }
          data: { plan: "{{ plan }}", replicas: "{{ replicas }}" }
`,
    );
    capture = new RowkubeProcess(['capture', '--config', configPath]);
    startProcessor();
  });

  afterAll(async () => {
    await processor?.stop().catch(() => undefined);
    await capture?.stop().catch(() => undefined);
    await db?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await db?.end().catch(() => undefined);
  });

  it('renders inserts and updates, skips no-op changes, tombstones deactivated nodes, isolates errors', async () => {
    await db.query(`INSERT INTO ${table} VALUES ('acme', 'gold', 3, TRUE, NULL)`);
    const [created] = await until('web/acme', 1);
    expect(created).toMatchObject({ id: 'web/acme', form: 'web', hub: 'tenants', uid: 'acme', error: null });
    expect(manifestsOf(created ?? null)).toEqual({
      ns: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-acme' } },
      config: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: 'tenant-acme' },
        data: { plan: 'gold', replicas: '3' },
      },
    });
    expect(created?.provenance).toMatchObject({ source, table, primaryKey: '{"tenant_id":"acme"}' });
    expect(Number(created?.provenance.commitTsMs)).toBeGreaterThan(Date.now() - 600_000);
    expect(JSON.parse(created?.provenance.position ?? '{}')).toHaveProperty('file');

    await db.query(`UPDATE ${table} SET plan = 'platinum' WHERE tenant_id = 'acme'`);
    const updated = await until('web/acme', 2);
    expect(manifestsOf(updated[1] ?? null).config?.data).toEqual({ plan: 'platinum', replicas: '3' });
    expect(updated[1]?.contentHash).not.toBe(updated[0]?.contentHash);

    // A value set to itself and a column no template uses: change events, no desired record.
    await db.query(`UPDATE ${table} SET plan = 'platinum' WHERE tenant_id = 'acme'`);
    await db.query(`UPDATE ${table} SET note = 'irrelevant' WHERE tenant_id = 'acme'`);
    // A barrier: once beta's record is there, the changes before it were processed.
    await db.query(`INSERT INTO ${table} VALUES ('beta', 'free', 1, TRUE, NULL)`);
    await until('web/beta', 1);
    expect(recordsOf(await desired(), 'web/acme')).toHaveLength(2);

    await db.query(`UPDATE ${table} SET active = FALSE WHERE tenant_id = 'acme'`);
    const deactivated = await until('web/acme', 3);
    expect(deactivated[2]).toBeNull();

    // An uid that is no DNS label: that node is an error record, and the next tenant proceeds.
    await db.query(`INSERT INTO ${table} VALUES ('Bad_Tenant', 'gold', 2, TRUE, NULL)`);
    await db.query(`INSERT INTO ${table} VALUES ('gamma', 'gold', 2, TRUE, NULL)`);
    const [bad] = await until('web/Bad_Tenant', 1);
    expect(bad).toMatchObject({ id: 'web/Bad_Tenant', resources: [], error: { resourceId: 'ns' } });
    expect(bad?.error?.message).toMatch(/tenant-Bad_Tenant/);
    const [gamma] = await until('web/gamma', 1);
    expect(manifestsOf(gamma ?? null).ns).toMatchObject({ metadata: { name: 'tenant-gamma' } });
  });

  it('restarts from its committed offsets without producing again what it produced', async () => {
    const before = await desired();
    await processor?.stop();
    // Changes while the processor is down are processed when it is back.
    await db.query(`UPDATE ${table} SET replicas = 5 WHERE tenant_id = 'beta'`);
    // Without the rebuilt state these would produce again (a record for gamma,
    // a tombstone for the inactive acme); with it they change nothing.
    await db.query(`UPDATE ${table} SET note = 'seen' WHERE tenant_id IN ('acme', 'gamma')`);
    startProcessor();
    await db.query(`INSERT INTO ${table} VALUES ('delta', 'gold', 1, TRUE, NULL)`);
    await until('web/delta', 1);
    const beta = await until('web/beta', 2);
    expect(manifestsOf(beta[1] ?? null).config?.data).toEqual({ plan: 'free', replicas: '5' });
    const after = await desired();
    // Exactly the two new records: nothing before the restart was produced again.
    expect(after.length - before.length).toBe(2);
  });
});
