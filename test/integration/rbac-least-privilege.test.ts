import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RbacRequest, rbacCommand } from '../../src/cli/commands/rbac.js';
import { ErrorCode } from '../../src/core/errors.js';
import { createKafka } from '../../src/kafka/index.js';
import { KubeApiError, KubeClient, type KubeObject } from '../../src/sink/kube/index.js';
import { OrphanLabel, OwnerLabel } from '../../src/sink/ownership/index.js';
import {
  type AdminDatabase,
  type DatabaseKind,
  dropReplicationSlot,
  openAdminDatabase,
  sourceKey,
} from '../../support/admin-database.js';
import { AuditFollower } from '../../support/audit-follower.js';
import { writeConfigFile } from '../../support/config-file.js';
import { parseManifests, renderChart } from '../../support/helm-chart.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import {
  createServiceAccount,
  mintServiceAccountToken,
  writeTokenKubeconfig,
} from '../../support/service-account-token.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Least privilege, proven: `rowkube rbac` derives the rules of a realistic
// configuration, the Helm chart renders them into a ServiceAccount, a
// ClusterRole and Roles, and `rowkube run` works with nothing but a token
// minted for that account through the TokenRequest API — rows inserted,
// updated, deactivated and deleted become objects created, configured and
// pruned. The same token is refused what no form needs: a namespace outside
// allowedNamespaces, Secrets, other namespaces' objects.
const env = stackEnv();

describe.each<DatabaseKind>(['mariadb', 'postgres'])('rowkube rbac > least privilege on %s', (kind) => {
  const tenants = uniqueName('tenants');
  const prefix = uniqueName('rk');
  const base = uniqueName('rbac').replaceAll('_', '-');
  const system = `${base}-system`;
  const ns = (uid: string) => `${base}-${uid}`;
  const allowed = ['acme', 'globex', 'shared'].map(ns);
  const admin = KubeClient.fromKubeconfigFile(env.kubeconfig);
  let db: AdminDatabase;
  let rowkube: RowkubeProcess | undefined;
  let token: KubeClient;
  let tokenKubeconfig: string;
  let account: string;
  let rbacObjects: KubeObject[] = [];
  let config: string;

  const until = <T>(what: string, probe: () => Promise<T | undefined>) =>
    waitFor(
      what,
      async () => {
        if (rowkube?.exitCode !== null) throw new Error(`rowkube run exited:\n${rowkube?.lastOutput(40)}`);
        return probe();
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nrowkube run said:\n${rowkube?.lastOutput(30)}`);
    });
  const get = (kindName: string, namespace: string, name: string, apiVersion = 'v1') =>
    admin.get({ apiVersion, kind: kindName, namespace, name });

  beforeAll(async () => {
    db = await openAdminDatabase(kind);
    await db.exec(
      `CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20), replicas INT, active BOOLEAN)`,
    );
    if (kind === 'postgres') await db.exec(`CREATE PUBLICATION ${prefix} FOR TABLE ${tenants}`);
    // With literal allowedNamespaces the Roles live in those namespaces, so
    // they exist before rowkube does, as they would before `helm install`.
    for (const name of allowed)
      await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, setup);
    const configText = (kubeconfig: string) =>
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
kubernetes:
  kubeconfig: ${kubeconfig}
  allowedNamespaces: [${allowed.join(', ')}]
  retry: { initialSeconds: 0.2, maxSeconds: 1 }
leaderElection: { enabled: true, namespace: ${system} }
sources:
  - name: appdb
    ${sourceKey(kind)}: { url: "${db.captureUrl}"${kind === 'postgres' ? `, slot: ${prefix}, publication: ${prefix}` : ''} }
    tables: [${tenants}]
hubs:
  - name: tenants
    source: appdb
    table: ${tenants}
    uid: tenant_id
    activate: active
    values: { plan: plan, replicas: replicas }
forms:
  - name: web
    hub: tenants
    resources:
      - id: ns
        # Retain: pruning the Namespace would delete the Role that grants rowkube its rights in it.
        deletionPolicy: Retain
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "${base}-{{ uid }}" } }
      - id: config
        dependIds: [ns]
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: settings, namespace: "${base}-{{ uid }}" }
          data: { plan: "{{ plan }}" }
      - id: keep
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
`;
    // The two commands of docs/rbac.md: `rowkube rbac` prints the values, the chart turns them into RBAC.
    const rbacConfig = writeConfigFile(configText(env.kubeconfig));
    const rbacValues = join(dirname(rbacConfig), 'rbac-values.yaml');
    writeFileSync(rbacValues, await rbacCommandOutput(rbacConfig));
    rbacObjects =
      // A release name of its own: the ClusterRole is named after it.
      (await renderChart(helm(), { release: base, namespace: system, valuesFiles: [rbacValues] })).filter(
        (object) => RBAC_KINDS.has(object.kind),
      );
    account = rbacObjects.find((object) => object.kind === 'ServiceAccount')?.metadata.name ?? '';
    expect(account).not.toBe('');
    await createServiceAccount(env.kubeconfig, system, account);
    for (const object of rbacObjects) await admin.apply(object, setup);
    tokenKubeconfig = writeTokenKubeconfig(
      env.kubeconfig,
      await mintServiceAccountToken(env.kubeconfig, system, account),
    );
    token = KubeClient.fromKubeconfigFile(tokenKubeconfig);
    config = writeConfigFile(configText(tokenKubeconfig));
    // RBAC takes effect at once for new requests, but make sure before rowkube starts.
    await waitFor('the Role to allow the ServiceAccount', async () =>
      (await token.list('v1', 'ConfigMap', 'x=y', { namespace: ns('acme') }).catch(() => undefined))
        ? true
        : undefined,
    );
    rowkube = new RowkubeProcess(['run', '--config', config]);
  });

  afterAll(async () => {
    await rowkube?.stop();
    token?.close();
    for (const object of rbacObjects.filter((o) => o.kind.startsWith('Cluster')))
      await admin.delete(refOf(object), { propagation: 'Background' }).catch(() => undefined);
    for (const name of [...allowed, ns('evil'), system])
      await admin
        .delete({ apiVersion: 'v1', kind: 'Namespace', name }, { propagation: 'Background' })
        .catch(() => undefined);
    admin.close();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}`);
    await db?.close();
    if (kind === 'postgres') await dropReplicationSlot(prefix);
  });

  it('the rules are namespaced Roles, a Namespace rule restricted by name, and the capture Lease', () => {
    const kinds = rbacObjects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}`);
    for (const name of allowed) expect(kinds).toContain(`Role/${name}`);
    expect(kinds).toContain(`Role/${system}`);
    const clusterRole = rbacObjects.find((o) => o.kind === 'ClusterRole') as unknown as {
      rules: { resources: string[] }[];
    };
    expect(clusterRole.rules.flatMap((r) => r.resources)).toEqual(['namespaces', 'namespaces']);
  });

  it('-o manifests prints the same rights as objects the API server accepts', async () => {
    const text = await rbacCommandOutput(config, {
      output: 'manifests',
      serviceAccount: { namespace: system, name: account },
    });
    const objects = parseManifests(text);
    expect(objects.map((o) => o.kind).sort()).toEqual(
      rbacObjects
        .map((o) => o.kind)
        .filter((k) => k !== 'ServiceAccount')
        .sort(),
    );
    for (const object of objects) await admin.apply(object, { ...setup, dryRun: true });
  });

  it('under that identity, INSERT provisions: Namespace, ConfigMap, Deployment (Available), Service', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('acme', 'basic', 1, true), ('globex', 'gold', 1, true)`);
    await until('acme Deployment Available', async () => {
      const status = (await get('Deployment', ns('acme'), 'web', 'apps/v1'))?.status as
        | { availableReplicas?: number }
        | undefined;
      return status?.availableReplicas === 1 ? true : undefined;
    });
    const service = await until('acme Service', () => get('Service', ns('acme'), 'web'));
    expect(service.metadata.labels?.[OwnerLabel.node]).toBeDefined();
    expect((await get('ConfigMap', ns('acme'), 'settings'))?.data).toEqual({ plan: 'basic' });
    await until('globex Service', () => get('Service', ns('globex'), 'web'));
  });

  it('UPDATE configures; active=false prunes, orphaning the Retain object; DELETE prunes', async () => {
    await db.exec(`UPDATE ${tenants} SET replicas = 2, plan = 'gold' WHERE tenant_id = 'acme'`);
    await until('acme settings configured', async () =>
      ((await get('ConfigMap', ns('acme'), 'settings'))?.data as { plan?: string } | undefined)?.plan ===
      'gold'
        ? true
        : undefined,
    );
    await db.exec(`UPDATE ${tenants} SET active = false WHERE tenant_id = 'acme'`);
    await until('acme Service pruned', async () =>
      (await get('Service', ns('acme'), 'web')) ? undefined : true,
    );
    await db.exec(`DELETE FROM ${tenants} WHERE tenant_id = 'globex'`);
    await until('globex Deployment pruned', async () =>
      (await get('Deployment', ns('globex'), 'web', 'apps/v1')) ? undefined : true,
    );
    const keep = await until('the retained ConfigMap orphaned', async () => {
      const object = await get('ConfigMap', ns('shared'), 'keep-acme');
      return object?.metadata.labels?.[OrphanLabel] === 'true' ? object : undefined;
    });
    expect(keep.metadata.labels?.[OwnerLabel.node]).toBeUndefined();
  });

  it('reactivated, the Retain object is adopted; after a restart the inventory listed per namespace prunes', async () => {
    await db.exec(`UPDATE ${tenants} SET active = true WHERE tenant_id = 'acme'`);
    await until('keep-acme adopted again', async () => {
      const labels = (await get('ConfigMap', ns('shared'), 'keep-acme'))?.metadata.labels;
      return labels?.[OrphanLabel] === undefined && labels?.[OwnerLabel.node] !== undefined
        ? true
        : undefined;
    });
    await until('acme Service again', () => get('Service', ns('acme'), 'web'));
    await rowkube?.stop();
    rowkube = new RowkubeProcess(['run', '--config', config]);
    // Only the Roles allow these lists: a list across the cluster would be Forbidden and stop the sink.
    const found = await until('the inventory listed', async () => {
      const line = /"objects":(\d+),"nodes":\d+,"msg":"inventory listed/.exec(rowkube?.output.join('') ?? '');
      return line ? Number(line[1]) : undefined;
    });
    expect(found).toBeGreaterThanOrEqual(4);
    await db.exec(`UPDATE ${tenants} SET active = false WHERE tenant_id = 'acme'`);
    await until('acme Service pruned after the restart', async () =>
      (await get('Service', ns('acme'), 'web')) ? undefined : true,
    );
  });

  it('a row whose form targets a namespace outside allowedNamespaces is refused, the audit naming it', async () => {
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
    const audit = new AuditFollower(kafka, prefix);
    try {
      await audit.follow({ waitForTopicMs: 30_000 });
      await db.exec(`INSERT INTO ${tenants} VALUES ('evil', 'basic', 1, true)`);
      const refusal = () =>
        audit.events.find((event) => event.nodeId === 'web/evil' && event.action === 'refused');
      await audit.waitFor('the refusal of web/evil', () => refusal() !== undefined, { stallMs: 30_000 });
      expect(refusal()?.errorCode).toBe(ErrorCode.FORBIDDEN_NAMESPACE);
      expect(refusal()?.reason).toContain(`namespace "${ns('evil')}" is not in kubernetes.allowedNamespaces`);
    } finally {
      await audit.close().catch(() => undefined);
    }
    expect(await admin.get({ apiVersion: 'v1', kind: 'Namespace', name: ns('evil') })).toBeUndefined();
    expect(rowkube?.exitCode).toBeNull();
  });

  it('the token itself is Forbidden outside the rules, and the error names the namespace and the identity', async () => {
    await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns('evil') } }, setup);
    const identity = `system:serviceaccount:${system}:${account}`;
    const forbidden = async (what: string, call: () => Promise<unknown>, naming: string[]) => {
      const error = await call().then(
        () => new Error(`${what}: allowed, but no rule grants it`),
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(KubeApiError);
      expect((error as KubeApiError).code, `${what}: ${(error as Error).message}`).toBe(
        ErrorCode.KUBERNETES_FORBIDDEN,
      );
      for (const word of [identity, ...naming]) expect((error as Error).message, what).toContain(word);
    };
    const configMap = (namespace: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'intruder', namespace },
    });
    await forbidden(
      'apply a ConfigMap outside allowedNamespaces',
      () => token.apply(configMap(ns('evil')), { fieldManager: 'rowkube', force: false }),
      [ns('evil'), 'ConfigMap/'],
    );
    await forbidden(
      'apply a Namespace outside allowedNamespaces',
      () => token.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${base}-other` } }, write),
      [`${base}-other`],
    );
    await forbidden(
      'delete the Namespace default',
      () =>
        token.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }, { propagation: 'Background' }),
      ['default'],
    );
    await forbidden(
      'read a Secret in an allowed namespace (no form creates Secrets)',
      () => token.list('v1', 'Secret', 'x=y', { namespace: ns('shared') }),
      [ns('shared')],
    );
    await forbidden('list ConfigMaps across the cluster', () => token.list('v1', 'ConfigMap', 'x=y'), []);
    await forbidden(
      'apply a Deployment in the ServiceAccount namespace',
      () =>
        token.apply(
          { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: system } },
          write,
        ),
      [system],
    );
    await forbidden(
      'read a Lease other than the capture Leases',
      () =>
        token.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: system, name: 'other' }),
      [system],
    );
  });
});

const setup = { fieldManager: 'test-setup', force: true };
const write = { fieldManager: 'rowkube', force: false };

function refOf(object: KubeObject) {
  return { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name ?? '' };
}

/** What `rowkube rbac --config F` prints: by default the chart's `rbac:` values, with the comment header. */
async function rbacCommandOutput(config: string, options: Partial<RbacRequest> = {}): Promise<string> {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  expect(await rbacCommand({ config, output: 'values', ...options }, out)).toBe(0);
  return text;
}

/** The chart's objects this test applies: the identity and its rights, nothing that runs. */
const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

function helm(): string {
  const path = process.env.HELM;
  if (!path)
    throw new Error('HELM is not set: bring up the stack part helm and export `deploy/local/stack env`');
  return path;
}
