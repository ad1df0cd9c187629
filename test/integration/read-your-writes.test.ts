import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeTopic } from '../../src/contracts/index.js';
import { parseWantedPosition } from '../../src/core/wanted-position.js';
import { createKafka, KafkaAdmin } from '../../src/kafka/index.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import { checkBarrier, newBarrier } from '../../src/status/index.js';
import {
  type AdminDatabase,
  type DatabaseKind,
  dropReplicationSlot,
  openAdminDatabase,
} from '../../support/admin-database.js';
import { commitPosition } from '../../support/commit-position.js';
import { namespacePerTenantResources, oneHubYaml, writeConfigFile } from '../../support/config-file.js';
import { freePort } from '../../support/free-port.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Read-your-writes through `rowkube run`, for each database: the application
// commits, reads its position (docs/read-your-writes.md) and waits, with
// `rowkube wait` and with GET /v1/nodes/{id}?position=P&wait=S. A new tenant's
// wait returns once its objects exist; a broken row's wait fails with its
// error; a position nothing reaches times out; a position past the node's own
// transaction (another tenant committed after it) returns through the
// pipeline barrier.
const env = stackEnv();

describe.each<DatabaseKind>(['mariadb', 'mysql', 'postgres'])('read-your-writes on %s', (kind) => {
  const tenants = uniqueName('ryw');
  const prefix = uniqueName('rk');
  const base = uniqueName('ryw').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  let db: AdminDatabase;
  let rowkube: RowkubeProcess;
  let config: string;
  let port: number;

  const namespace = (uid: string) =>
    kube.get({ apiVersion: 'v1', kind: 'Namespace', name: `${base}-${uid}` });
  const insert = async (uid: string) => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('${uid}', 'basic')`);
    return commitPosition(db, 'gtid');
  };
  const wait = async (node: string, position: string, timeoutSeconds: number) => {
    const child = new RowkubeProcess([
      'wait',
      node,
      '--config',
      config,
      '--position',
      position,
      '--timeout',
      String(timeoutSeconds),
    ]);
    const code = await child.exited();
    return { code, output: child.text() };
  };
  // A position no commit reaches during the test.
  const farPosition = async () => {
    if (kind === 'postgres') return 'FFFFFFF/0';
    if (kind === 'mariadb') return '0-1-999999999';
    return (await commitPosition(db, 'log')).replace(/:\d+$/, ':999999999');
  };
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { code: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    db = await openAdminDatabase(kind);
    await db.exec(`CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20))`);
    await db.exec(`CREATE TABLE ${tenants}_other (id INT PRIMARY KEY)`);
    if (kind === 'postgres') await db.exec(`CREATE PUBLICATION ${prefix} FOR TABLE ${tenants}`);
    port = await freePort();
    config = writeConfigFile(
      oneHubYaml({
        prefix,
        namespaces: `${base}-*`,
        kind,
        captureUrl: db.captureUrl,
        tables: [tenants],
        sections: `observability: { port: ${port} }`,
        resources: namespacePerTenantResources(base),
      }),
    );
    rowkube = new RowkubeProcess(['run', '--config', config]);
    await waitFor(
      'rowkube run ready',
      async () => {
        if (rowkube.exitCode !== null) throw new Error(`rowkube run exited:\n${rowkube.lastOutput(40)}`);
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        return ready?.status === 200 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  });

  afterAll(async () => {
    await rowkube?.stop();
    for (const uid of ['acme', 'globex', 'initech', 'umbrella'])
      await kube.delete(
        { apiVersion: 'v1', kind: 'Namespace', name: `${base}-${uid}` },
        { propagation: 'Background' },
      );
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}, ${tenants}_other`);
    await db?.close();
    if (kind === 'postgres') await dropReplicationSlot(prefix);
  });

  it('the pipeline barrier holds once every change up to a position is applied, not before', async () => {
    const kafka = createKafka({ brokers: env.kafkaBrokers });
    const admin = await KafkaAdmin.connect(kafka);
    try {
      await db.exec(`INSERT INTO ${tenants} VALUES ('umbrella', 'basic')`);
      // A transaction on a table nobody captures right after it: the position lies past both,
      // and only capture's idle position commit (or PostgreSQL's keepalive) reaches it.
      await db.exec(`INSERT INTO ${tenants}_other VALUES (1)`);
      const wanted = parseWantedPosition(await commitPosition(db, 'log'));
      const hubTopic = changeTopic(prefix, { source: 'appdb', database: '', table: tenants });
      const options = { kafka, admin, prefix, source: 'appdb', hubTopic };
      const progress = newBarrier();
      await waitFor(
        'the barrier to hold',
        async () => ((await checkBarrier({ ...options, wanted }, progress)) ? true : undefined),
        {
          timeoutMs: 60_000,
          intervalMs: 200,
        },
      );
      // The sink handled the row: its objects are there the moment the barrier holds.
      expect(await namespace('umbrella')).toBeDefined();
      const far = newBarrier();
      expect(await checkBarrier({ ...options, wanted: parseWantedPosition(await farPosition()) }, far)).toBe(
        false,
      );
      expect(far.captured).toBe(false);
    } finally {
      await admin.close();
    }
  });

  it('rowkube wait returns 0 once the new tenant is applied, and its objects exist', async () => {
    const position = await insert('acme');
    const { code, output } = await wait('web/acme', position, 60);
    expect(code, output).toBe(0);
    expect(output).toContain('web/acme is Ready');
    expect(await namespace('acme')).toBeDefined();
  });

  it("a position past the node's own transaction returns once the pipeline handled everything up to it", async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('initech', 'basic')`);
    // Read after another tenant's commit: the log position lies past initech's transaction.
    await db.exec(`INSERT INTO ${tenants} VALUES ('other-${Date.now() % 1000}', 'basic')`);
    const position = await commitPosition(db, 'log');
    const { code, output } = await wait('web/initech', position, 60);
    expect(code, output).toBe(0);
    expect(await namespace('initech')).toBeDefined();
  });

  it('a failing row makes rowkube wait fail with the error', async () => {
    const position = await insert('Bad_Name');
    const { code, output } = await wait('web/Bad_Name', position, 60);
    expect(code, output).toBe(1);
    expect(output).toContain('ROWKUBE_ERR_INVALID_NAME');
  });

  it('a position nothing reaches times out with exit code 3; a bad one is refused with 2', async () => {
    const timedOut = await wait('web/acme', await farPosition(), 2);
    expect(timedOut.code, timedOut.output).toBe(3);
    expect(timedOut.output).toContain('timed out');
    const bad = await wait('web/acme', 'not-a-position', 2);
    expect(bad.code, bad.output).toBe(2);
    expect(bad.output).toContain('ROWKUBE_ERR_POSITION');
  });

  it('GET /v1/nodes/{id}?position=P&wait=S answers the same over HTTP', async () => {
    const position = await insert('globex');
    const ready = await get(`/v1/nodes/web/globex?position=${encodeURIComponent(position)}&wait=60`);
    expect(ready.code, JSON.stringify(ready.body)).toBe(200);
    expect(ready.body).toMatchObject({ node: 'web/globex', outcome: 'ready', status: { state: 'Ready' } });
    expect(await namespace('globex')).toBeDefined();

    const plain = await get('/v1/nodes/web%2Fglobex');
    expect(plain.code).toBe(200);
    expect(plain.body).toMatchObject({ nodeId: 'web/globex', state: 'Ready' });

    const failing = await insert('Also_Bad');
    const failed = await get(`/v1/nodes/web/Also_Bad?position=${encodeURIComponent(failing)}&wait=60`);
    expect(failed.code, JSON.stringify(failed.body)).toBe(409);
    expect(String(failed.body.reason)).toContain('ROWKUBE_ERR_INVALID_NAME');

    const far = encodeURIComponent(await farPosition());
    const slow = await get(`/v1/nodes/web/globex?position=${far}&wait=1`);
    expect(slow.code, JSON.stringify(slow.body)).toBe(504);
    expect(slow.body).toMatchObject({ outcome: 'timeout' });

    const bad = await get('/v1/nodes/web/globex?position=banana&wait=1');
    expect(bad.code).toBe(400);
    expect(String(bad.body.error)).toContain('ROWKUBE_ERR_POSITION');
    expect((await get('/v1/nodes/web/nobody')).code).toBe(404);
  });
});
