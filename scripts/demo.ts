// The demo behind `npm run demo` (scripts/demo.sh brings the stack up first).
// For MariaDB and then PostgreSQL: create a tenants table and a feature-flag
// table, start `rowkube run` (capture, process and apply in one process) as
// its own process, write rows as an application would, and show each
// tenant's Kubernetes objects appearing, changing and disappearing, with the
// time from COMMIT to the object applied (taken from rowkube's audit events).
import { auditTopic, type DecodedAuditEvent } from '../src/contracts/index.js';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import { type AdminDatabase, openAdminDatabase, sourceKey } from '../support/admin-database.js';
import { AuditFollower } from '../support/audit-follower.js';
import { writeConfigFile } from '../support/config-file.js';
import { RowkubeProcess } from '../support/rowkube-process.js';
import { stackEnv } from '../support/stack-env.js';
import { waitFor } from '../support/wait-for.js';

const env = stackEnv({ what: 'the demo', rerun: 'npm run demo' });
const brokers = env.kafkaBrokers;
const kafka = createKafka({ brokers, clientId: 'rowkube-demo' });
const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
const run = Date.now().toString(36);
const say = (text: string) => process.stdout.write(`${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LABELS = {
  mariadb: 'MariaDB (binlog)',
  mysql: 'MySQL (binlog)',
  postgres: 'PostgreSQL (logical replication)',
};

function configText(db: AdminDatabase, prefix: string, tenants: string, flags: string, ns: string): string {
  const source = db.kind === 'postgres' ? `, slot: ${prefix}, publication: ${prefix}` : '';
  return `kafka: { brokers: [${brokers.join(', ')}], topicPrefix: ${prefix} }
kubernetes: { allowedNamespaces: ["${ns}-*"] }
sources:
  - name: appdb
    ${sourceKey(db.kind)}: { url: "${db.captureUrl}"${source} }
    tables: [${tenants}, ${flags}]
hubs:
  - name: tenants
    source: appdb
    table: ${tenants}
    uid: tenant_id
    activate: active
    values: { domain: domain, plan: plan, replicas: replicas }
    lookups: [{ name: features, table: ${flags}, key: tenant_id }]
forms:
  - name: saas
    hub: tenants
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "${ns}-{{ uid | dns_label }}" } }
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: app-config, namespace: "${ns}-{{ uid | dns_label }}" }
          data: { plan: "{{ plan }}", features: "{{ features | map: 'flag' | sort | join: ',' }}" }
      - id: app
        dependIds: [config]
        waitForReady: true
        timeoutSeconds: 60
        manifest:
          apiVersion: apps/v1
          kind: Deployment
          metadata: { name: web, namespace: "${ns}-{{ uid | dns_label }}" }
          spec:
            replicas: "{{ replicas | default: 1 | to_int }}"
            selector: { matchLabels: { app: web } }
            template:
              metadata: { labels: { app: web } }
              spec: { containers: [{ name: web, image: "nginx:1.27" }] }
      - id: svc
        dependIds: [app]
        manifest:
          apiVersion: v1
          kind: Service
          metadata: { name: web, namespace: "${ns}-{{ uid | dns_label }}" }
          spec: { selector: { app: web }, ports: [{ port: 80 }] }
      - id: ingress
        dependIds: [svc]
        manifest:
          apiVersion: networking.k8s.io/v1
          kind: Ingress
          metadata: { name: web, namespace: "${ns}-{{ uid | dns_label }}" }
          spec:
            rules:
              - host: "{{ domain | to_host }}"
                http:
                  paths:
                    - path: /
                      pathType: Prefix
                      backend: { service: { name: web, port: { number: 80 } } }
`;
}

/** The audit events since the `from`-th, once `done` holds for them; rowkube's output is shown on a timeout. */
async function eventsSince(
  audit: AuditFollower,
  from: number,
  done: (events: DecodedAuditEvent[]) => boolean,
): Promise<DecodedAuditEvent[]> {
  return waitFor(
    'rowkube (see its output above)',
    () => {
      const events = audit.events.slice(from);
      return done(events) ? events : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 20 },
  );
}

async function demo(db: AdminDatabase): Promise<void> {
  const prefix = `demo_${db.kind}_${run}`;
  const tenants = `tenants_${run}`;
  const flags = `feature_flags_${run}`;
  const ns = `demo-${{ mariadb: 'maria', mysql: 'mysql', postgres: 'pg' }[db.kind]}-${run}`;
  say(`\n== ${LABELS[db.kind]}`);
  await db.exec(
    `CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, domain VARCHAR(253), plan VARCHAR(16), replicas INT, active BOOLEAN)`,
  );
  await db.exec(
    `CREATE TABLE ${flags} (tenant_id VARCHAR(63), flag VARCHAR(63), PRIMARY KEY (tenant_id, flag))`,
  );
  // PostgreSQL publishes a table for its owner only: the application creates the publication.
  if (db.kind === 'postgres') await db.exec(`CREATE PUBLICATION ${prefix} FOR TABLE ${tenants}, ${flags}`);

  const config = writeConfigFile(configText(db, prefix, tenants, flags, ns));
  say(`$ rowkube run --config ${config}`);
  const rowkube = new RowkubeProcess(['run', '--config', config]);
  const audit = new AuditFollower(kafka, prefix);
  await audit.follow({ waitForTopicMs: 90_000 });
  // The sink publishes its audit schemas when it starts: from then on rowkube is up.
  await sleep(1_500);

  const step = async (
    title: string,
    sql: string,
    expect: (events: DecodedAuditEvent[]) => boolean,
    show?: () => Promise<string>,
  ) => {
    const from = audit.events.length;
    await db.exec(sql);
    const committedAt = Date.now();
    say(`\n${title}\n  ${sql}`);
    const events = await eventsSince(audit, from, expect);
    for (const event of events) {
      if (event.object === null || event.action === 'unchanged') continue;
      const { kind, namespace, name } = event.object;
      const where = namespace ? `${namespace}/${name}` : name;
      say(
        `  ${event.action.padEnd(10)} ${kind}/${where}  ${Number(event.appliedAtMs) - committedAt} ms after COMMIT`,
      );
    }
    if (show) say(`  ${await show()}`);
  };
  const has = (resourceId: string, action: string) => (events: DecodedAuditEvent[]) =>
    events.some((e) => e.resourceId === resourceId && e.action === action);
  const both =
    (...checks: ((events: DecodedAuditEvent[]) => boolean)[]) =>
    (events: DecodedAuditEvent[]) =>
      checks.every((check) => check(events));
  const deployment = () =>
    kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `${ns}-acme`, name: 'web' });

  await step(
    'A new tenant: its namespace, config, Deployment (waited for until Available), Service and Ingress:',
    `INSERT INTO ${tenants} VALUES ('acme', 'Acme.Example', 'pro', 2, TRUE)`,
    has('ingress', 'created'),
    async () => {
      const status = (await deployment())?.status as { availableReplicas?: number } | undefined;
      return `kubectl: deployment ${ns}-acme/web has ${status?.availableReplicas ?? 0} available replicas`;
    },
  );
  await step(
    'Scale it:',
    `UPDATE ${tenants} SET replicas = 3 WHERE tenant_id = 'acme'`,
    has('app', 'configured'),
    async () =>
      `kubectl: deployment ${ns}-acme/web spec.replicas = ${((await deployment())?.spec as { replicas?: number } | undefined)?.replicas}`,
  );
  await step(
    'Turn a feature on (a row of the lookup table):',
    `INSERT INTO ${flags} VALUES ('acme', 'sso')`,
    has('config', 'configured'),
    async () => {
      const map = await kube.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: `${ns}-acme`,
        name: 'app-config',
      });
      return `kubectl: configmap ${ns}-acme/app-config data = ${JSON.stringify(map?.data)}`;
    },
  );
  await step(
    'Another tenant, in the same way:',
    `INSERT INTO ${tenants} VALUES ('globex', 'globex.example', 'free', 1, TRUE)`,
    has('ingress', 'created'),
  );
  await step(
    'Deactivate the first (its objects are deleted, dependents first):',
    `UPDATE ${tenants} SET active = FALSE WHERE tenant_id = 'acme'`,
    both(has('ns', 'deleted'), has('app', 'deleted')),
  );
  await step(
    'Delete the other row:',
    `DELETE FROM ${tenants} WHERE tenant_id = 'globex'`,
    has('ns', 'deleted'),
  );

  await audit.close();
  const code = await rowkube.stop();
  say(`\nrowkube stopped on SIGTERM (exit code ${code}); every action above is in ${auditTopic(prefix)}:`);
  say(`  npx rowkube tail ${auditTopic(prefix)} --brokers ${brokers.join(',')}`);
  if (db.kind === 'postgres') {
    // A slot left behind would pin WAL forever.
    await db.exec(`SELECT pg_drop_replication_slot('${prefix}')`);
    await db.exec(`DROP PUBLICATION ${prefix}`);
  }
  await db.exec(`DROP TABLE ${tenants}, ${flags}`);
}

for (const kind of ['mariadb', 'postgres'] as const) {
  const db = await openAdminDatabase(kind);
  try {
    await demo(db);
  } finally {
    await db.close();
  }
}
kube.close();
process.exit(0);
