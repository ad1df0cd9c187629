import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/load-config.js';
import { createKafka } from '../../src/kafka/index.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import { type AdminDatabase, openAdminDatabase, sourceKey } from '../../support/admin-database.js';
import { AuditFollower } from '../../support/audit-follower.js';
import { writeConfigFile } from '../../support/config-file.js';
import { tenantIds, tenantValues } from '../../support/held-deletions.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { type StageRun, startStages } from '../../support/stage-run.js';

// Fairness through the whole pipeline (MariaDB → capture → process → apply,
// in this process): a bulk of new tenants is committed, then a single-row
// UPDATE of a tenant that already exists. With few request slots the bulk
// takes many seconds to apply; the update must not wait behind it. The
// assertion is about order in the audit topic, not time: the update's
// `configured` event comes before most of the bulk's `created` events.
// Without the sink's request lanes (src/sink/runner/request-lane.ts) the
// update's requests queue behind every request of the bulk and it is applied
// among the last.

const env = stackEnv();
/** Large enough to take several seconds at concurrency 2. */
const BULK = 1_000;

describe('sink > fairness (MariaDB, a bulk of new tenants then an update of an existing one)', () => {
  const table = uniqueName('fair_tenants');
  const prefix = uniqueName('rkfair');
  const namespace = prefix.replaceAll('_', '-');
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const audit = new AuditFollower(kafka, prefix);
  let db: AdminDatabase;
  let stages: StageRun | undefined;
  const node = (id: string) => `web/${id}`;
  const created = (nodeId: string) =>
    audit.events.some((event) => event.nodeId === nodeId && event.action === 'created');

  beforeAll(async () => {
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'rowkube-test', force: true },
    );
    db = await openAdminDatabase('mariadb');
    await db.exec(
      `CREATE TABLE ${table} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20), active BOOLEAN)`,
    );
    const configPath = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
kubernetes:
  kubeconfig: ${env.kubeconfig}
  allowedNamespaces: ["${namespace}"]
  concurrency: 2
  driftIntervalSeconds: 0
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
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "{{ uid }}", namespace: "${namespace}" }
          data: { plan: "{{ plan }}" }
`,
    );
    stages = startStages(loadConfig(configPath), ['capture', 'process', 'apply']);
    await db.exec(`INSERT INTO ${table} VALUES ('old', 'silver', TRUE)`);
    await audit.follow({ waitForTopicMs: 60_000, abandon: stages.died });
    await audit.waitFor('the existing tenant created', () => created(node('old')), {
      stallMs: 60_000,
      abandon: stages.died,
    });
  }, 120_000);

  afterAll(async () => {
    await audit.close().catch(() => undefined);
    await stages?.stop().catch(() => undefined);
    await db?.exec(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await db?.close().catch(() => undefined);
    await kube.delete(
      { apiVersion: 'v1', kind: 'Namespace', name: namespace },
      { propagation: 'Background' },
    );
    kube.close();
  });

  it('applies the update of an existing tenant before most of a bulk of new ones committed before it', async () => {
    const bulk = tenantIds(1, BULK);
    // One transaction for the bulk, then the update: in the desired topic the update comes after every bulk record.
    await db.exec(`INSERT INTO ${table} VALUES ${tenantValues(bulk)}`);
    await db.exec(`UPDATE ${table} SET plan = 'gold' WHERE tenant_id = 'old'`);
    const updated = () =>
      audit.events.findIndex((event) => event.nodeId === node('old') && event.action === 'configured');
    await audit.waitFor(
      `the update and ${BULK} new tenants applied`,
      () => updated() >= 0 && (audit.actions.created ?? 0) >= BULK + 1,
      {
        stallMs: 60_000,
        ...(stages ? { abandon: stages.died } : {}),
      },
    );
    const bulkNodes = new Set(bulk.map(node));
    const createdBefore = audit.events
      .slice(0, updated())
      .filter((event) => event.action === 'created' && bulkNodes.has(event.nodeId)).length;
    // Ordering, not timing: the update overtook the backlog (it was read after the whole bulk).
    expect(createdBefore, `bulk tenants created before the update was applied, of ${BULK}`).toBeLessThan(
      BULK / 2,
    );
    const config = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'old' });
    expect(config?.data).toEqual({ plan: 'gold' });
  }, 180_000);
});
