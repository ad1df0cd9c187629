// The demo behind `npm run demo` (scripts/demo.sh brings the stack up first).
// For MariaDB and then PostgreSQL: create a tenants table and a feature-flag
// table, start `rowkube run` (capture, process and apply in one process) as
// its own process, write rows as an application would, and show each
// tenant's Kubernetes objects appearing, changing and disappearing, with the
// time from COMMIT to the object applied (taken from rowkube's audit events).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { auditTopic, createKafka, readTopic } from '../src/kafka/index.js';
import { type DecodedAuditEvent, decodeAudit } from '../src/sink/audit/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import { RowkubeProcess } from '../support/rowkube-process.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through \`npm run demo\``);
  return value;
};
const brokers = env('KAFKA_BROKERS').split(',');
const kafka = createKafka({ brokers, clientId: 'rowkube-demo' });
const kube = KubeClient.fromKubeconfigFile(env('KUBECONFIG'));
const run = Date.now().toString(36);
const say = (text: string) => process.stdout.write(`${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Database {
  kind: 'mysql' | 'postgres';
  label: string;
  captureUrl: string;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

async function mariadb(): Promise<Database> {
  const c = await mysql.createConnection(env('MYSQL_ADMIN_URL'));
  return {
    kind: 'mysql',
    label: 'MariaDB (binlog)',
    captureUrl: env('MYSQL_URL'),
    exec: async (sql) => void (await c.query(sql)),
    close: () => c.end(),
  };
}

async function postgres(): Promise<Database> {
  const c = new pg.Client({ connectionString: env('PG_ADMIN_URL') });
  await c.connect();
  return {
    kind: 'postgres',
    label: 'PostgreSQL (logical replication)',
    captureUrl: env('PG_URL'),
    exec: async (sql) => void (await c.query(sql)),
    close: () => c.end(),
  };
}

function configText(db: Database, prefix: string, tenants: string, flags: string, ns: string): string {
  const source = db.kind === 'postgres' ? `, slot: ${prefix}, publication: ${prefix}` : '';
  return `kafka: { brokers: [${brokers.join(', ')}], topicPrefix: ${prefix} }
kubernetes: { allowedNamespaces: ["${ns}-*"] }
sources:
  - name: appdb
    ${db.kind}: { url: "${db.captureUrl}"${source} }
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

/** Follows the audit topic; each step waits for the events it expects. */
class AuditFollower {
  readonly events: DecodedAuditEvent[] = [];
  private readonly stop = new AbortController();
  private readonly done: Promise<void>;

  constructor(prefix: string) {
    this.done = readTopic({
      kafka,
      topic: auditTopic(prefix),
      fromBeginning: true,
      follow: true,
      allowMissing: false,
      signal: this.stop.signal,
      onRecord: (record) => {
        if (record.value !== null) this.events.push(decodeAudit(record.value));
      },
    });
    this.done.catch(() => undefined);
  }

  async waitFor(from: number, done: (events: DecodedAuditEvent[]) => boolean, timeoutMs = 90_000) {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events.slice(from))) {
      if (Date.now() > deadline) throw new Error('the demo waited 90 s for rowkube; see its output above');
      await sleep(20);
    }
    return this.events.slice(from);
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.done.catch(() => undefined);
  }
}

async function waitForTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    while (!(await admin.listTopics()).includes(topic)) await sleep(100);
  } finally {
    await admin.disconnect();
  }
}

async function demo(db: Database): Promise<void> {
  const prefix = `demo_${db.kind}_${run}`;
  const tenants = `tenants_${run}`;
  const flags = `feature_flags_${run}`;
  const ns = `demo-${db.kind === 'mysql' ? 'maria' : 'pg'}-${run}`;
  say(`\n== ${db.label}`);
  await db.exec(
    `CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, domain VARCHAR(253), plan VARCHAR(16), replicas INT, active BOOLEAN)`,
  );
  await db.exec(
    `CREATE TABLE ${flags} (tenant_id VARCHAR(63), flag VARCHAR(63), PRIMARY KEY (tenant_id, flag))`,
  );
  // PostgreSQL publishes a table for its owner only: the application creates the publication.
  if (db.kind === 'postgres') await db.exec(`CREATE PUBLICATION ${prefix} FOR TABLE ${tenants}, ${flags}`);

  const config = join(mkdtempSync(join(tmpdir(), 'rowkube-demo-')), 'rowkube.yaml');
  writeFileSync(config, configText(db, prefix, tenants, flags, ns));
  say(`$ rowkube run --config ${config}`);
  const rowkube = new RowkubeProcess(['run', '--config', config]);
  await waitForTopic(auditTopic(prefix));
  const audit = new AuditFollower(prefix);
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
    const events = await audit.waitFor(from, expect);
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

for (const open of [mariadb, postgres]) {
  const db = await open();
  try {
    await demo(db);
  } finally {
    await db.close();
  }
}
kube.close();
process.exit(0);
