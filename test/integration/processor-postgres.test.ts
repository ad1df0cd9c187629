import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/load-config.js';
import { createKafka, readLastPosition, type TailRecord } from '../../src/kafka/index.js';
import { type AdminDatabase, dropReplicationSlot, openAdminDatabase } from '../../support/admin-database.js';
import { writeConfigFile } from '../../support/config-file.js';
import { type DesiredJson, manifestsOf, readDesired, recordsOf } from '../../support/desired-records.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { type StageRun, startStages } from '../../support/stage-run.js';
import { waitFor } from '../../support/wait-for.js';

// The PostgreSQL twin of processor-end-to-end: rows of a hub table and a
// feature-flag lookup table → `rowkube capture` (its own process, pgoutput) →
// change topics → processor (in process) → `<prefix>.desired`.
//
// Both tables have surrogate primary keys and the default REPLICA IDENTITY, as
// most PostgreSQL schemas do: an update then carries no before-image and a
// delete only the `id`, so which node a change touches (the tenant's slug) must
// come from the processor's stored rows, never from the change itself.

const env = stackEnv();

describe('processor > end to end (PostgreSQL → capture → process → desired topic)', () => {
  const tenants = uniqueName('tenants');
  const flags = uniqueName('flags');
  const source = uniqueName('src');
  const prefix = uniqueName('rk');
  // Capture's defaults for a source without slot/publication settings.
  const slot = `rowkube_${source}`;
  const publication = `rowkube_${source}`;
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  let db: AdminDatabase;
  let capture: RowkubeProcess | undefined;
  let configPath: string;
  let processor: StageRun | undefined;

  function startProcessor() {
    processor = startStages(loadConfig(configPath), ['process'], { processor: { restartDelayMs: 200 } });
  }

  const desired = () => readDesired(kafka, prefix);

  /** Waits until `done` holds for the desired topic's records; a dead capture or processor fails at once. */
  async function until(what: string, done: (records: TailRecord[]) => boolean): Promise<TailRecord[]> {
    const waiting = waitFor(what, async () => {
      if (capture && capture.exitCode !== null) throw new Error(`capture exited with ${capture.exitCode}`);
      const records = await desired();
      return done(records) ? records : undefined;
    });
    try {
      return await Promise.race([waiting, ...(processor ? [processor.died] : [])]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\ncapture output:\n${capture?.lastOutput()}`);
    }
  }

  /** Waits until the node has at least `count` records; returns them. */
  async function recordsUntil(id: string, count: number): Promise<(DesiredJson | null)[]> {
    const records = await until(
      `${count} desired record(s) of ${id}`,
      (r) => recordsOf(r, id).length >= count,
    );
    return recordsOf(records, id);
  }

  /** The comma-joined flags a record's ConfigMap carries. */
  function features(value: DesiredJson | null | undefined): unknown {
    const data = manifestsOf(value).config?.data as Record<string, unknown> | undefined;
    return data?.features;
  }

  beforeAll(async () => {
    db = await openAdminDatabase('postgres');
    await db.exec(
      `CREATE TABLE ${tenants} (id BIGSERIAL PRIMARY KEY, slug TEXT NOT NULL UNIQUE, plan TEXT, replicas BIGINT NOT NULL, active BOOLEAN NOT NULL, note TEXT)`,
    );
    await db.exec(`CREATE TABLE ${flags} (id SERIAL PRIMARY KEY, tenant TEXT NOT NULL, flag TEXT NOT NULL)`);
    // As a user would: the table owner publishes; the capture user may not.
    await db.exec(`CREATE PUBLICATION ${publication} FOR TABLE ${tenants}, ${flags}`);
    configPath = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
sources:
  - name: ${source}
    postgres: { url: "${db.captureUrl}" }
    tables: [${tenants}, ${flags}]
hubs:
  - name: tenants
    source: ${source}
    table: ${tenants}
    uid: slug
    activate: active
    values: { plan: plan, replicas: replicas }
    lookups: [{ name: features, table: ${flags}, key: tenant }]
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
          data: { plan: "{{ plan }}", features: "{{ features | map: 'flag' | sort | join: ',' }}" }
      - id: app
        dependIds: [config]
        manifest:
          apiVersion: apps/v1
          kind: Deployment
          metadata: { name: "{{ uid }}-app", namespace: "tenant-{{ uid }}" }
          spec: { replicas: "{{ replicas | to_int }}", paused: false }
`,
    );
    const started = new RowkubeProcess(['capture', '--config', configPath]);
    capture = started;
    startProcessor();
    // Rows written from now on are streamed (op c/u/d with the transaction's
    // LSN and xid), not read by the initial snapshot.
    await waitFor(
      'the initial snapshot of the (empty) tables',
      () => {
        if (started.exitCode !== null) throw new Error(`capture exited:\n${started.lastOutput()}`);
        return readLastPosition({ kafka, prefix, name: source });
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }, 40_000);

  afterAll(async () => {
    await processor?.stop().catch(() => undefined);
    await capture?.stop().catch(() => undefined);
    if (!db) return; // beforeAll failed before connecting
    await dropReplicationSlot(slot).catch(() => undefined);
    await db.exec(`DROP PUBLICATION IF EXISTS ${publication}`).catch(() => undefined);
    await db.exec(`DROP TABLE IF EXISTS ${tenants}, ${flags}`).catch(() => undefined);
    await db.close().catch(() => undefined);
  });

  it('renders inserted rows: values, typed leaves and provenance with the LSN', async () => {
    await db.exec(
      `INSERT INTO ${tenants} (slug, plan, replicas, active) VALUES ('acme', 'gold', 3, TRUE), ('globex', 'free', 1, TRUE)`,
    );
    const [acme] = await recordsUntil('web/acme', 1);
    expect(acme).toMatchObject({ id: 'web/acme', form: 'web', hub: 'tenants', uid: 'acme', error: null });
    expect(manifestsOf(acme)).toEqual({
      ns: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-acme' } },
      config: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: 'tenant-acme' },
        data: { plan: 'gold', features: '' },
      },
      app: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'acme-app', namespace: 'tenant-acme' },
        // A BIGINT column through `| to_int`: a number in the manifest, not "3".
        spec: { replicas: 3, paused: false },
      },
    });
    expect(acme?.resources.map((r) => [r.id, r.dependIds])).toEqual([
      ['ns', []],
      ['config', ['ns']],
      ['app', ['config']],
    ]);
    // A BIGSERIAL key is a long: written as a string, so that no id beyond 2^53 rounds.
    expect(acme?.provenance).toMatchObject({ source, table: tenants, primaryKey: '{"id":"1"}' });
    expect(Number(acme?.provenance.commitTsMs)).toBeGreaterThan(Date.now() - 600_000);
    const position = JSON.parse(acme?.provenance.position ?? '{}') as Record<string, unknown>;
    // PostgreSQL's spelling of an LSN, and the transaction's xid; not MySQL's file/pos.
    expect(Object.keys(position).sort()).toEqual(['lsn', 'txId']);
    expect(position.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(position.txId).toMatch(/^\d+$/);

    const [globex] = await recordsUntil('web/globex', 1);
    // One INSERT statement, one transaction: both records carry its position.
    expect(globex?.provenance.position).toBe(acme?.provenance.position);
  });

  it('re-renders only the affected node when a lookup row changes', async () => {
    await db.exec(`INSERT INTO ${flags} (tenant, flag) VALUES ('acme', 'sso')`);
    let history = recordsOf(
      await until('acme with sso', (r) => recordsOf(r, 'web/acme').length >= 2),
      'web/acme',
    );
    expect(history.map(features)).toEqual(['', 'sso']);
    expect(history[1]?.provenance).toMatchObject({ table: flags, primaryKey: '{"id":1}' });

    await db.exec(`INSERT INTO ${flags} (tenant, flag) VALUES ('acme', 'beta')`);
    // A delete carries only the flag's id: the stored row says it was acme's.
    await db.exec(`DELETE FROM ${flags} WHERE tenant = 'acme' AND flag = 'sso'`);
    const records = await until(
      'acme without sso',
      (r) => features(recordsOf(r, 'web/acme').at(-1)) === 'beta',
    );
    history = recordsOf(records, 'web/acme');
    expect(history.map(features)).toEqual(['', 'sso', 'beta,sso', 'beta']);
    // globex's records for these changes would have been committed in the same
    // Kafka transactions as acme's, so they would be visible by now.
    expect(recordsOf(records, 'web/globex')).toHaveLength(1);
  });

  it('re-renders an update, and produces nothing for a no-op update or a column no template uses', async () => {
    await db.exec(`UPDATE ${tenants} SET plan = 'platinum', replicas = 4 WHERE slug = 'acme'`);
    const updated = await recordsUntil('web/acme', 5);
    const manifests = manifestsOf(updated[4]);
    expect(manifests.config?.data).toEqual({ plan: 'platinum', features: 'beta' });
    expect(manifests.app?.spec).toEqual({ replicas: 4, paused: false });
    expect(updated[4]?.contentHash).not.toBe(updated[3]?.contentHash);

    await db.exec(`UPDATE ${tenants} SET plan = 'platinum' WHERE slug = 'acme'`);
    await db.exec(`UPDATE ${tenants} SET note = 'irrelevant' WHERE slug = 'acme'`);
    await db.exec(`UPDATE ${flags} SET flag = 'beta' WHERE tenant = 'acme'`);
    // Barriers, one per change topic (each has one partition): once these
    // records are there, every change before them was processed.
    await db.exec(`INSERT INTO ${tenants} (slug, plan, replicas, active) VALUES ('beta', 'free', 1, TRUE)`);
    await recordsUntil('web/beta', 1);
    await db.exec(`INSERT INTO ${flags} (tenant, flag) VALUES ('beta', 'sso')`);
    const records = await until('beta with sso', (r) => features(recordsOf(r, 'web/beta').at(-1)) === 'sso');
    expect(recordsOf(records, 'web/acme')).toHaveLength(5);
  });

  it('tombstones a deactivated, a deleted and a renamed node', async () => {
    await db.exec(`UPDATE ${tenants} SET active = FALSE WHERE slug = 'acme'`);
    expect((await recordsUntil('web/acme', 6))[5]).toBeNull();

    await db.exec(`DELETE FROM ${tenants} WHERE slug = 'globex'`);
    expect((await recordsUntil('web/globex', 2))[1]).toBeNull();

    // The update names only the new slug: the old node's id comes from the stored row.
    await db.exec(`UPDATE ${tenants} SET slug = 'beta-eu' WHERE slug = 'beta'`);
    const records = await until(
      'beta tombstoned and beta-eu rendered',
      (r) => recordsOf(r, 'web/beta').at(-1) === null && recordsOf(r, 'web/beta-eu').length === 1,
    );
    // beta's flag names the old slug, so beta-eu has none.
    expect(features(recordsOf(records, 'web/beta-eu')[0])).toBe('');
  });

  it('gives a bad row an error record while a good row of the same transaction renders', async () => {
    await db.exec(
      `BEGIN; INSERT INTO ${tenants} (slug, plan, replicas, active) VALUES ('Bad_Tenant', 'gold', 2, TRUE); ` +
        `INSERT INTO ${tenants} (slug, plan, replicas, active) VALUES ('gamma', 'gold', 2, TRUE); COMMIT`,
    );
    const [bad] = await recordsUntil('web/Bad_Tenant', 1);
    const [gamma] = await recordsUntil('web/gamma', 1);
    expect(bad).toMatchObject({
      id: 'web/Bad_Tenant',
      resources: [],
      error: { code: 'ROWKUBE_ERR_INVALID_NAME', resourceId: 'ns', path: 'metadata.name' },
    });
    expect(bad?.error?.message).toMatch(/tenant-Bad_Tenant/);
    expect(manifestsOf(gamma).app).toMatchObject({ metadata: { name: 'gamma-app' }, spec: { replicas: 2 } });
    expect(gamma?.provenance.position).toBe(bad?.provenance.position);
  });

  it('restarts from its committed offsets without producing again what it produced', async () => {
    const before = await desired();
    await processor?.stop();
    // Changes while the processor is down are processed when it is back.
    await db.exec(`UPDATE ${tenants} SET replicas = 5 WHERE slug = 'gamma'`);
    // Without the rebuilt state these would produce again (a record for the
    // unchanged beta-eu and Bad_Tenant, a tombstone for the inactive acme).
    await db.exec(`UPDATE ${tenants} SET note = 'seen' WHERE slug IN ('acme', 'beta-eu', 'Bad_Tenant')`);
    await db.exec(`UPDATE ${flags} SET flag = 'sso' WHERE tenant = 'beta'`);
    startProcessor();
    await db.exec(`INSERT INTO ${tenants} (slug, plan, replicas, active) VALUES ('delta', 'gold', 1, TRUE)`);
    await recordsUntil('web/delta', 1);
    const gamma = await recordsUntil('web/gamma', 2);
    expect(manifestsOf(gamma[1]).app?.spec).toEqual({ replicas: 5, paused: false });
    // A flag change of beta (renamed away) as a barrier on the lookup topic.
    await db.exec(`INSERT INTO ${flags} (tenant, flag) VALUES ('delta', 'sso')`);
    const after = await until('delta with sso', (r) => features(recordsOf(r, 'web/delta').at(-1)) === 'sso');
    // Exactly the three new records: nothing before the restart was produced again.
    expect(after.slice(before.length).map((r) => r.key)).toEqual(['web/gamma', 'web/delta', 'web/delta']);
  });
});
