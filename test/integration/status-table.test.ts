import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlStatusTableDdl } from '../../connectors/mysql/mysql-status-table.js';
import { postgresStatusTableDdl } from '../../connectors/postgres/postgres-status-table.js';
import { createKafka } from '../../src/kafka/index.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import {
  type AdminDatabase,
  type DatabaseKind,
  openAdminDatabase,
  sourceKey,
} from '../../support/admin-database.js';
import { writeConfigFile } from '../../support/config-file.js';
import { removePipelineLeftovers } from '../../support/pipeline-leftovers.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { untilRunning } from '../../support/until-running.js';

// The status table (hubs[].status, docs/status-table.md) through `rowkube run`
// on each database. The capture user may not create the table at first: the
// pipeline goes on and the log names the grant; once the table exists and is
// granted, it fills without a restart. Then it follows each state: a new
// tenant Ready, a taken object Conflict, an invalid name Failed with its code,
// a deleted row Deleted and then gone after the retention. Its own writes are
// never captured.
const env = stackEnv();

describe.each<DatabaseKind>(['mariadb', 'mysql', 'postgres'])('status table on %s', (kind) => {
  const tenants = uniqueName('tenants');
  const statusTable = `${tenants}_status`;
  const prefix = uniqueName('rksq');
  const namespace = uniqueName('sq').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  let db: AdminDatabase;
  let rowkube: RowkubeProcess;

  const until = <T>(what: string, probe: () => Promise<T | undefined>) =>
    untilRunning(() => rowkube, what, probe);
  const row = async (uid: string) =>
    (await db.query(`SELECT * FROM ${statusTable} WHERE form = 'web' AND uid = '${uid}'`))[0];
  const untilRow = (uid: string, state: string) =>
    until(`${uid} ${state} in the status table`, async () => {
      const found = await row(uid).catch(() => undefined);
      return found?.state === state ? found : undefined;
    });

  beforeAll(async () => {
    db = await openAdminDatabase(kind);
    await db.exec(`CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20))`);
    if (kind === 'postgres') await db.exec(`CREATE PUBLICATION ${prefix} FOR TABLE ${tenants}`);
    const config = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
kubernetes:
  kubeconfig: ${env.kubeconfig}
  allowedNamespaces: ["${namespace}"]
sink: { statusDeletedRetentionSeconds: 2 }
sources:
  - name: appdb
    ${sourceKey(kind)}: { url: "${db.captureUrl}"${kind === 'postgres' ? `, slot: ${prefix}, publication: ${prefix}` : ''} }
    tables: [${tenants}]
hubs:
  - name: tenants
    source: appdb
    table: ${tenants}
    uid: tenant_id
    values: { plan: plan }
    status: { source: appdb, table: ${statusTable} }
forms:
  - name: web
    hub: tenants
    resources:
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "t-{{ uid }}", namespace: "${namespace}" }
          data: { plan: "{{ plan }}" }
      - id: claim
        conflictPolicy: Stuck
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "claim-{{ uid }}", namespace: "${namespace}" }
          data: { owner: rowkube }
`,
    );
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'test-setup', force: true },
    );
    // globex's claim is taken: another manager owns its data.owner.
    await kube.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'claim-globex', namespace },
        data: { owner: 'other-team' },
      },
      { fieldManager: 'other-team', force: false },
    );
    rowkube = new RowkubeProcess(['run', '--config', config]);
  });

  afterAll(async () => {
    await rowkube?.stop();
    await kube.delete(
      { apiVersion: 'v1', kind: 'Namespace', name: namespace },
      { propagation: 'Background' },
    );
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}, ${statusTable}`);
    await db?.close();
    await removePipelineLeftovers(kafka, prefix, kind);
  });

  it('goes on without a table it may not create, names the grant, and fills the table once it is granted', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('acme', 'basic')`);
    await until('t-acme applied', () =>
      kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 't-acme' }),
    );
    await until('the privilege error in the log', async () =>
      rowkube.text().includes(`may not write the status table`) ? true : undefined,
    );
    expect(rowkube.text()).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE ON/);

    const user = decodeURIComponent(new URL(db.captureUrl).username);
    if (kind === 'postgres') {
      await db.exec(postgresStatusTableDdl(statusTable));
      await db.exec(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${statusTable} TO ${user}`);
    } else {
      await db.exec(mysqlStatusTableDdl(statusTable));
      await db.exec(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${statusTable} TO '${user}'@'127.0.0.1'`);
    }
    const acme = await untilRow('acme', 'Ready');
    expect(acme).toMatchObject({ node_id: 'web/acme', hub: 'tenants', objects_ready: 2, objects_total: 2 });
    expect(acme.error_code).toBeNull();
    expect(String(acme.applied_position)).not.toBe('');
    expect(acme.commit_ts).not.toBeNull();
  });

  it('follows Conflict, Failed with the error code, and Deleted then gone', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('globex', 'basic')`);
    await db.exec(`INSERT INTO ${tenants} VALUES ('Bad_Name', 'basic')`);
    const globex = await untilRow('globex', 'Conflict');
    expect(globex.error_code).toBe('ROWKUBE_ERR_APPLY_CONFLICT');
    const bad = await untilRow('Bad_Name', 'Failed');
    expect(bad.error_code).toBe('ROWKUBE_ERR_INVALID_NAME');
    expect(String(bad.error_message)).toContain('t-Bad_Name');

    await db.exec(`DELETE FROM ${tenants} WHERE tenant_id = 'acme'`);
    await untilRow('acme', 'Deleted');
    await until('acme gone from the status table', async () =>
      (await row('acme')) === undefined ? true : undefined,
    );
  });

  it('writes the status table without capturing it', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    await admin.disconnect();
    expect(topics.some((t) => t.endsWith(`.${tenants}`))).toBe(true);
    expect(topics.filter((t) => t.includes(statusTable))).toEqual([]);
    // The table was written all along (four nodes' states), and the hub saw only its own rows.
    expect(rowkube.text()).not.toMatch(new RegExp(`web/[^"]*${statusTable}`));
  });
});
