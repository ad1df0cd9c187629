import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/index.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import { type AdminDatabase, openAdminDatabase } from '../../support/admin-database.js';
import { configMapPerRowYaml, writeConfigFile } from '../../support/config-file.js';
import { derivedAclEntries } from '../../support/kafka-acl-entries.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// rowkube against the stack's SASL_SSL listener: SCRAM-SHA-512 over TLS
// signed by the stack CA, with KRaft's StandardAuthorizer enforcing ACLs that
// allow the rowkube principal only names starting with KAFKA_SECURE_PREFIX
// (deploy/local/lib/kafka.sh). The password and the CA come in through
// ${env:} and ${file:}, as a user's would. The end-to-end run uses a topic
// prefix outside the stack's ACLs and grants exactly what `rowkube
// kafka-acls` derives for it, so the derived topic ACLs are what is proven
// (its groups and transactional ids are named rowkube-…, which the stack's
// ACLs cover anyway). Then each misconfiguration fails
// fast, once, naming the setting to fix, without the password in the output.
const env = stackEnv();
const secure = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run with the environment of deploy/local/stack env`);
  return value;
};
const secureBrokers = secure('KAFKA_SECURE_BROKERS');
const password = secure('KAFKA_SASL_PASSWORD');
const username = secure('KAFKA_SASL_USERNAME');
const caFile = secure('STACK_CA_FILE');

describe('kafka security > SASL_SSL with SCRAM and ACLs', () => {
  const tenants = uniqueName('tenants');
  const prefix = uniqueName('ksec');
  const admin = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' }).admin();
  const entries = derivedAclEntries(prefix, `User:${username}`);
  const base = uniqueName('ksec').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  let db: AdminDatabase;
  const started: RowkubeProcess[] = [];

  /** A config for `rowkube run`; `kafka` is the YAML inside `kafka: { … }`. */
  const config = (kafka: string) =>
    writeConfigFile(
      configMapPerRowYaml({
        kafka: `  { ${kafka} }`,
        kubeconfig: env.kubeconfig,
        namespace: base,
        captureUrl: db.captureUrl,
        table: tenants,
      }),
    );
  const secureKafka = (
    overrides: { brokers?: string; password?: string; ca?: string; prefix?: string } = {},
  ) =>
    `brokers: [${overrides.brokers ?? secureBrokers}], topicPrefix: ${overrides.prefix ?? prefix}, ` +
    `ssl: { ca: "${overrides.ca ?? `\${file:${caFile}}`}" }, ` +
    `sasl: { mechanism: scram-sha-512, username: ${username}, password: "${overrides.password ?? `\${env:KAFKA_SASL_PASSWORD}`}" }`;
  const run = (file: string, extraEnv: NodeJS.ProcessEnv = {}) => {
    const p = new RowkubeProcess(['run', '--config', file], [], { env: extraEnv });
    started.push(p);
    return p;
  };

  beforeAll(async () => {
    // The plaintext listener's ANONYMOUS is a super user: it grants the ACLs.
    await admin.connect();
    await admin.createAcls({ acl: entries });
    db = await openAdminDatabase('mariadb');
    await db.exec(`CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20))`);
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: base } },
      { fieldManager: 'test-setup', force: true },
    );
  });

  afterAll(async () => {
    for (const p of started) await p.stop();
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: base }, { propagation: 'Background' });
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}`);
    await db?.close();
    await admin.deleteAcls({ filters: entries });
    await admin.disconnect();
  });

  it('runs insert, update and delete end to end over SASL_SSL with the ACLs enforced', async () => {
    const rowkube = run(config(secureKafka()));
    const plan = (uid: string) =>
      kube
        .get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: base, name: `t-${uid}` })
        .then((cm) => (cm as { data?: { plan?: string } } | undefined)?.data?.plan ?? null);
    const until = (what: string, probe: () => Promise<boolean>) =>
      waitFor(
        what,
        async () => {
          if (rowkube.exitCode !== null) throw new Error(`rowkube run exited:\n${rowkube.lastOutput(40)}`);
          return (await probe()) ? true : undefined;
        },
        { timeoutMs: 40_000, intervalMs: 200 },
      );
    await db.exec(`INSERT INTO ${tenants} VALUES ('acme', 'basic')`);
    await until('the ConfigMap of acme', async () => (await plan('acme')) === 'basic');
    await db.exec(`UPDATE ${tenants} SET plan = 'pro' WHERE tenant_id = 'acme'`);
    await until('the update of acme', async () => (await plan('acme')) === 'pro');
    await db.exec(`DELETE FROM ${tenants} WHERE tenant_id = 'acme'`);
    await until('the deletion of acme', async () => (await plan('acme')) === null);
    await rowkube.stop();
    expect(rowkube.text()).not.toContain(password);
  }, 60_000);

  /** Runs `rowkube run` until it exits by itself; its output, which must hold one error and no password. */
  const failing = async (kafka: string, secret = password) => {
    const rowkube = run(config(kafka), { WRONG_PASSWORD: 'wrong-scram-secret' });
    const started = Date.now();
    expect(await rowkube.exited()).not.toBe(0);
    const text = rowkube.text();
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(text.match(/ROWKUBE_ERR_KAFKA_SECURITY/g)?.length).toBe(1);
    expect(text).not.toContain(secret);
    return text;
  };

  it('a wrong password fails once, naming kafka.sasl.password', async () => {
    const text = await failing(secureKafka({ password: `\${env:WRONG_PASSWORD}` }), 'wrong-scram-secret');
    expect(text).toContain('kafka.sasl.password');
  }, 30_000);

  it('an untrusted CA fails once, naming kafka.ssl.ca', async () => {
    // The system CAs do not know the stack CA.
    const text = await failing(
      `brokers: [${secureBrokers}], topicPrefix: ${prefix}, ssl: {}, ` +
        `sasl: { mechanism: scram-sha-512, username: ${username}, password: "\${env:KAFKA_SASL_PASSWORD}" }`,
    );
    expect(text).toContain('kafka.ssl.ca');
  }, 30_000);

  it('plaintext to the TLS port fails once, naming kafka.ssl and kafka.brokers', async () => {
    const text = await failing(
      `brokers: [${secureBrokers}], topicPrefix: ${prefix}, ` +
        `sasl: { mechanism: scram-sha-512, username: ${username}, password: "\${env:KAFKA_SASL_PASSWORD}" }`,
    );
    expect(text).toContain('kafka.ssl');
    expect(text).toContain('kafka.brokers');
  }, 30_000);

  it('a topic prefix outside the ACLs fails once, naming the refused topic', async () => {
    const denied = uniqueName('denied');
    const text = await failing(secureKafka({ prefix: denied }));
    expect(text).toContain('rowkube kafka-acls');
    expect(text).toContain(denied);
  }, 30_000);
});
