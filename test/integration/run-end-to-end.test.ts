import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/sink/kube/index.js';
import { OrphanLabel, OwnerLabel } from '../../src/sink/ownership/index.js';
import {
  type AdminDatabase,
  type DatabaseKind,
  openAdminDatabase,
  sourceKey,
} from '../../support/admin-database.js';
import { namespacePerTenantResources, writeConfigFile } from '../../support/config-file.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { untilRunning } from '../../support/until-running.js';

// The whole journey through `rowkube run` (capture, process and apply in one
// process), for each database: INSERT a tenant → its namespace, config,
// Deployment and Service exist; UPDATE replicas → the Deployment scales; a
// feature-flag row adds a resource; UPDATE active=false → the resources are
// gone, the Retain one orphaned; DELETE of another tenant → gone too.
const env = stackEnv();

describe.each<DatabaseKind>(['mariadb', 'mysql', 'postgres'])('rowkube run > end to end on %s', (kind) => {
  const tenants = uniqueName('tenants');
  const flags = uniqueName('flags');
  const prefix = uniqueName('rk');
  const base = uniqueName('e2e').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  let db: AdminDatabase;
  let rowkube: RowkubeProcess;

  const deployment = (uid: string) =>
    kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `${base}-${uid}`, name: 'web' });
  const configMap = (uid: string, name: string) =>
    kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: `${base}-${uid}`, name });
  const until = <T>(what: string, probe: () => Promise<T | undefined>) =>
    untilRunning(() => rowkube, what, probe);

  beforeAll(async () => {
    db = await openAdminDatabase(kind);
    await db.exec(
      `CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20), replicas INT, active BOOLEAN)`,
    );
    await db.exec(
      `CREATE TABLE ${flags} (tenant_id VARCHAR(63), flag VARCHAR(63), PRIMARY KEY (tenant_id, flag))`,
    );
    // PostgreSQL publishes a table only for its owner: the application creates the publication.
    if (kind === 'postgres') await db.exec(`CREATE PUBLICATION ${prefix} FOR TABLE ${tenants}, ${flags}`);
    const config = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
kubernetes:
  kubeconfig: ${env.kubeconfig}
  allowedNamespaces: ["${base}-*"]
sources:
  - name: appdb
    ${sourceKey(kind)}: { url: "${db.captureUrl}"${kind === 'postgres' ? `, slot: ${prefix}, publication: ${prefix}` : ''} }
    tables: [${tenants}, ${flags}]
hubs:
  - name: tenants
    source: appdb
    table: ${tenants}
    uid: tenant_id
    activate: active
    values: { plan: plan, replicas: replicas }
    lookups: [{ name: features, table: ${flags}, key: tenant_id }]
forms:
  - name: web
    hub: tenants
    resources:
${namespacePerTenantResources(base)}      - id: keep
        deletionPolicy: Retain
        manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "keep-{{ uid }}", namespace: "${base}-shared" } }
      - id: app
        dependIds: [config]
        waitForReady: true
        timeoutSeconds: 60
        manifest:
          apiVersion: apps/v1
          kind: Deployment
          metadata: { name: web, namespace: "${base}-{{ uid }}" }
          spec:
            replicas: "{{ replicas | to_int }}"
            selector: { matchLabels: { app: web } }
            template:
              metadata: { labels: { app: web } }
              spec: { containers: [{ name: web, image: "nginx:1.27" }] }
      - id: svc
        dependIds: [app]
        manifest:
          apiVersion: v1
          kind: Service
          metadata: { name: web, namespace: "${base}-{{ uid }}" }
          spec: { selector: { app: web }, ports: [{ port: 80 }] }
      - id: sso
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: sso, namespace: "${base}-{{ uid }}" }
          data: { enabled: "{{ features | map: 'flag' | join: ',' }}" }
`,
    );
    // Retained objects live in a namespace of their own, which outlives the tenants' namespaces.
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${base}-shared` } },
      { fieldManager: 'test-setup', force: true },
    );
    rowkube = new RowkubeProcess(['run', '--config', config]);
  });

  afterAll(async () => {
    await rowkube?.stop();
    for (const uid of ['acme', 'globex', 'shared'])
      await kube.delete(
        { apiVersion: 'v1', kind: 'Namespace', name: `${base}-${uid}` },
        { propagation: 'Background' },
      );
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}, ${flags}`);
    await db?.close();
    if (kind === 'postgres') {
      const admin = await openAdminDatabase('postgres');
      await admin
        .exec(
          `SELECT pg_drop_replication_slot('${prefix}') FROM pg_replication_slots WHERE slot_name = '${prefix}'`,
        )
        .catch(() => undefined);
      await admin.close();
    }
  });

  it('INSERT provisions a tenant: namespace, config, Deployment (Available), Service', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('acme', 'basic', 1, true), ('globex', 'gold', 1, true)`);
    const app = await until('acme Deployment Available', async () => {
      const current = await deployment('acme');
      const available = (current?.status as { availableReplicas?: number } | undefined)?.availableReplicas;
      return available === 1 ? current : undefined;
    });
    expect(app.metadata.labels?.[OwnerLabel.resource]).toBe('app');
    const service = await until('acme Service', () =>
      kube.get({ apiVersion: 'v1', kind: 'Service', namespace: `${base}-acme`, name: 'web' }),
    );
    expect(service.metadata.labels?.[OwnerLabel.node]).toBeDefined();
    expect((await configMap('acme', 'settings'))?.data).toEqual({ plan: 'basic' });
  });

  it('UPDATE replicas scales the Deployment; a feature-flag row changes a resource', async () => {
    await db.exec(`UPDATE ${tenants} SET replicas = 3 WHERE tenant_id = 'acme'`);
    await until('acme scaled to 3', async () => {
      const current = await deployment('acme');
      return (current?.spec as { replicas?: number } | undefined)?.replicas === 3 ? true : undefined;
    });
    await db.exec(`INSERT INTO ${flags} VALUES ('acme', 'sso')`);
    await until('the sso ConfigMap to carry the flag', async () =>
      ((await configMap('acme', 'sso'))?.data as Record<string, string> | undefined)?.enabled === 'sso'
        ? true
        : undefined,
    );
  });

  it('active=false removes the resources, orphaning the Retain one; DELETE removes another tenant', async () => {
    await db.exec(`UPDATE ${tenants} SET active = false WHERE tenant_id = 'acme'`);
    await until('acme settings gone', async () => ((await configMap('acme', 'settings')) ? undefined : true));
    await db.exec(`DELETE FROM ${tenants} WHERE tenant_id = 'globex'`);
    await until('globex Deployment gone', async () => ((await deployment('globex')) ? undefined : true));
    const keep = await until('the retained ConfigMap orphaned', async () => {
      const object = await configMap('shared', 'keep-acme');
      return object?.metadata.labels?.[OrphanLabel] === 'true' ? object : undefined;
    });
    expect(keep.metadata.labels?.[OwnerLabel.node]).toBeUndefined();
    expect((await configMap('shared', 'keep-globex'))?.metadata.labels?.[OrphanLabel]).toBe('true');
  });
});
