import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTopic } from '../../src/contracts/index.js';
import { createKafka, decodeAudit, readTopic } from '../../src/kafka/index.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import {
  type AdminDatabase,
  type DatabaseKind,
  dropReplicationSlot,
  openAdminDatabase,
} from '../../support/admin-database.js';
import { writeConfigFile } from '../../support/config-file.js';
import { freePort } from '../../support/free-port.js';
import { derivedAclEntries } from '../../support/kafka-acl-entries.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// The secure estate end to end: `rowkube run` (capture, process and apply in
// one process) talks to Kafka only through the SASL_SSL listener (SCRAM-SHA-512,
// the stack CA) with exactly the ACLs `rowkube kafka-acls` derives for its
// topic prefix, and to each database only as its TLS-required capture user
// over verified TLS. The scenario (insert, update, a lookup joined from a
// second table, deactivation, delete) is checked in the real apiserver. Then
// every secret the run was given (the SCRAM password, the database password,
// a client private key) is looked for in every line it printed, in the
// Prometheus text of its /metrics (every label), and in every audit record,
// decoded; and again in the output of runs with a wrong password.
const env = stackEnv({
  needs: [
    'KAFKA_BROKERS',
    'KUBECONFIG',
    'MYSQL_ADMIN_URL',
    'ORACLE_MYSQL_ADMIN_URL',
    'PG_ADMIN_URL',
    'MYSQL_TLS_URL',
    'ORACLE_MYSQL_TLS_URL',
    'PG_TLS_URL',
    'STACK_CA_FILE',
  ],
});
const secure = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run with the environment of deploy/local/stack env`);
  return value;
};
const secureBrokers = secure('KAFKA_SECURE_BROKERS');
const kafkaPassword = secure('KAFKA_SASL_PASSWORD');
const username = secure('KAFKA_SASL_USERNAME');
const caFile = env.urls.STACK_CA_FILE;
const tlsUrl: Record<DatabaseKind, string> = {
  mariadb: env.urls.MYSQL_TLS_URL,
  mysql: env.urls.ORACLE_MYSQL_TLS_URL,
  postgres: env.urls.PG_TLS_URL,
};
const dbPassword = (url: string) => decodeURIComponent(new URL(url).password);

/**
 * A client key and certificate of the test's own, given as kafka.ssl.key/cert:
 * the stack's listener does not ask for client certificates, so they only
 * stand for key material that must never be printed.
 */
function clientKeyPair(): { dir: string; keyFile: string; certFile: string; keyLines: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'rowkube-key-'));
  const keyFile = join(dir, 'client.key');
  const certFile = join(dir, 'client.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=rowkube-test-client',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  // The key's base64 lines: any one of them in the output would be a leak.
  const keyLines = readFileSync(keyFile, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('-----'));
  return { dir, keyFile, certFile, keyLines };
}

/** The secrets of `secrets` that occur in `text` (by name, never the value). */
function leaked(text: string, secrets: Record<string, string | string[]>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => (Array.isArray(value) ? value : [value]).some((v) => text.includes(v)))
    .map(([name]) => name);
}

describe.each<DatabaseKind>(['mariadb', 'postgres', 'mysql'])('secure estate > %s', (kind) => {
  const tenants = uniqueName('tenants');
  const flags = uniqueName('flags');
  // Outside the stack's own ACLs (KAFKA_SECURE_PREFIX): topics are allowed only by the derived ACLs.
  const prefix = uniqueName('sec');
  const base = uniqueName('sec').replaceAll('_', '-');
  const admin = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  const aclAdmin = admin.admin();
  const entries = derivedAclEntries(prefix, `User:${username}`);
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const keys = clientKeyPair();
  const secrets = {
    'the SCRAM password': kafkaPassword,
    'the database password': dbPassword(tlsUrl[kind]),
    'the client private key': keys.keyLines,
  };
  const started: RowkubeProcess[] = [];
  let db: AdminDatabase;

  /** The configuration of the secure estate; the passwords come from the run's environment (run()). */
  const config = (port: number) => {
    const database =
      kind === 'postgres'
        ? `postgres: { url: "\${env:SECURE_DB_URL}", slot: ${prefix}, publication: ${prefix}, ssl: { mode: verify-full, ca: "\${file:${caFile}}" } }`
        : `mysql: { url: "\${env:SECURE_DB_URL}", ssl: { ca: "\${file:${caFile}}" } }`;
    return writeConfigFile(`kafka:
  brokers: [${secureBrokers}]
  topicPrefix: ${prefix}
  ssl: { ca: "\${file:${caFile}}", cert: "\${file:${keys.certFile}}", key: "\${file:${keys.keyFile}}" }
  sasl: { mechanism: scram-sha-512, username: ${username}, password: "\${env:SECURE_KAFKA_PASSWORD}" }
kubernetes:
  kubeconfig: ${env.kubeconfig}
  allowedNamespaces: ["${base}"]
observability: { port: ${port}, lagIntervalSeconds: 1 }
sources:
  - name: appdb
    ${database}
    tables: [${tenants}, ${flags}]
hubs:
  - name: tenants
    source: appdb
    table: ${tenants}
    uid: tenant_id
    activate: active
    values: { plan: plan }
    lookups: [{ name: features, table: ${flags}, key: tenant_id }]
forms:
  - name: web
    hub: tenants
    resources:
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "t-{{ uid }}", namespace: "${base}" }
          data: { plan: "{{ plan }}", features: "{{ features | map: 'flag' | join: ',' }}" }
`);
  };
  const run = (file: string, passwords: { kafka?: string; dbUrl?: string } = {}) => {
    const p = new RowkubeProcess(['run', '--config', file], [], {
      env: {
        SECURE_KAFKA_PASSWORD: passwords.kafka ?? kafkaPassword,
        SECURE_DB_URL: passwords.dbUrl ?? tlsUrl[kind],
      },
    });
    started.push(p);
    return p;
  };

  beforeAll(async () => {
    // The plaintext listener's ANONYMOUS is a super user: it grants the derived ACLs.
    await aclAdmin.connect();
    await aclAdmin.createAcls({ acl: entries });
    db = await openAdminDatabase(kind);
    await db.exec(
      `CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20), active BOOLEAN)`,
    );
    await db.exec(
      `CREATE TABLE ${flags} (tenant_id VARCHAR(63), flag VARCHAR(63), PRIMARY KEY (tenant_id, flag))`,
    );
    // The TLS user owns no table: the publication is made for it, as a DBA would.
    if (kind === 'postgres') await db.exec(`CREATE PUBLICATION ${prefix} FOR TABLE ${tenants}, ${flags}`);
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: base } },
      { fieldManager: 'test-setup', force: true },
    );
  });

  afterAll(async () => {
    for (const p of started) await p.stop().catch(() => undefined);
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: base }, { propagation: 'Background' });
    kube.close();
    if (kind === 'postgres') await db?.exec(`DROP PUBLICATION IF EXISTS ${prefix}`);
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}, ${flags}`);
    await db?.close();
    if (kind === 'postgres') await dropReplicationSlot(prefix);
    await aclAdmin.deleteAcls({ filters: entries });
    await aclAdmin.disconnect();
    rmSync(keys.dir, { recursive: true, force: true });
  });

  it('runs insert, update, lookup, deactivate and delete over SASL_SSL and database TLS, and prints no secret', async () => {
    const port = await freePort();
    const rowkube = run(config(port));
    const configMap = (uid: string) =>
      kube
        .get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: base, name: `t-${uid}` })
        .then((cm) => (cm as { data?: Record<string, string> } | undefined)?.data ?? null);
    const until = (what: string, probe: () => Promise<boolean>) =>
      waitFor(
        what,
        async () => {
          if (rowkube.exitCode !== null) throw new Error(`rowkube run exited:\n${rowkube.lastOutput(40)}`);
          return (await probe()) ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\nrowkube run said:\n${rowkube.lastOutput(30)}`);
      });

    await db.exec(`INSERT INTO ${tenants} VALUES ('acme', 'basic', true), ('globex', 'gold', true)`);
    await until('the ConfigMap of acme', async () => (await configMap('acme'))?.plan === 'basic');
    await until('the ConfigMap of globex', async () => (await configMap('globex'))?.plan === 'gold');
    await db.exec(`UPDATE ${tenants} SET plan = 'pro' WHERE tenant_id = 'acme'`);
    await until('the update of acme', async () => (await configMap('acme'))?.plan === 'pro');
    await db.exec(`INSERT INTO ${flags} VALUES ('acme', 'sso'), ('acme', 'audit')`);
    await until(
      'the looked-up flags of acme',
      async () => (await configMap('acme'))?.features === 'audit,sso',
    );
    await db.exec(`UPDATE ${tenants} SET active = false WHERE tenant_id = 'acme'`);
    await until('acme deactivated', async () => (await configMap('acme')) === null);
    await db.exec(`DELETE FROM ${tenants} WHERE tenant_id = 'globex'`);
    await until('the deletion of globex', async () => (await configMap('globex')) === null);

    // Every metric and label, scraped while the pipeline runs.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain(`source="appdb"`);
    expect(await rowkube.stop()).toBe(0);

    // Every audit record, decoded (read as the plaintext super user: the test's view, not rowkube's).
    const audit: string[] = [];
    await readTopic({
      kafka: admin,
      topic: auditTopic(prefix),
      fromBeginning: true,
      follow: false,
      onRecord: (record) => {
        if (record.value !== null)
          audit.push(
            JSON.stringify(decodeAudit(record.value), (_key, v) => (typeof v === 'bigint' ? String(v) : v)),
          );
      },
    });
    expect(audit.length).toBeGreaterThanOrEqual(4);
    const output = rowkube.text();
    expect(output.split('\n').length).toBeGreaterThan(3);
    expect({
      'log lines and errors': leaked(output, secrets),
      metrics: leaked(metrics, secrets),
      'audit records': leaked(audit.join('\n'), secrets),
    }).toEqual({ 'log lines and errors': [], metrics: [], 'audit records': [] });
  }, 150_000);

  it('a wrong Kafka password fails once and prints neither it nor any other secret', async () => {
    const wrong = 'wrong-scram-secret-7f3a';
    const rowkube = run(config(0), { kafka: wrong });
    expect(await rowkube.exited()).not.toBe(0);
    const output = rowkube.text();
    expect(output.match(/ROWKUBE_ERR_KAFKA_SECURITY/g)?.length).toBe(1);
    expect(output).toContain('kafka.sasl.password');
    expect(leaked(output, { ...secrets, 'the wrong password': wrong })).toEqual([]);
  }, 30_000);

  it('a wrong database password is reported without it or any other secret', async () => {
    const wrong = 'wrong-db-secret-91c2';
    const url = new URL(tlsUrl[kind]);
    url.password = wrong;
    const port = await freePort();
    const rowkube = run(config(port), { dbUrl: url.toString() });
    // It may stop, or wait for the database like an outage: either way, one look at what it said.
    await waitFor(
      'the refused login to be reported',
      () => (rowkube.exitCode !== null || rowkube.logLines(/appdb/, 40).length > 0 ? true : undefined),
      { timeoutMs: 40_000, intervalMs: 200 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nrowkube run said:\n${rowkube.lastOutput(30)}`);
    });
    const metrics = rowkube.running
      ? await fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .catch(() => '')
      : '';
    await rowkube.stop();
    const output = rowkube.text();
    // One clear error naming the URL that holds the credentials, not retried as an outage.
    expect(output).toMatch(
      /ROWKUBE_ERR_SOURCE_AUTH: .*refused the login.*`sources\[name=[^\]]+\]\.(mysql|postgres)\.url`/,
    );
    const stops = output.split('\n').filter((line) => line.includes('source stopped'));
    expect(stops).toHaveLength(1);
    expect(stops[0]).toContain('ROWKUBE_ERR_SOURCE_AUTH');
    expect(output).not.toMatch(/retrying/);
    const all = { ...secrets, 'the wrong password': wrong };
    expect({ output: leaked(output, all), metrics: leaked(metrics, all) }).toEqual({
      output: [],
      metrics: [],
    });
  }, 60_000);
});
