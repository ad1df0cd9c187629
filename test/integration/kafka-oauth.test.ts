import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/sink/kube/index.js';
import { type AdminDatabase, openAdminDatabase } from '../../support/admin-database.js';
import { configMapPerRowYaml, writeConfigFile } from '../../support/config-file.js';
import { mintOAuthToken } from '../../support/oauth-token.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// rowkube against the stack's SASL_SSL listener with OAUTHBEARER: RS256 JWTs
// that the broker checks against the stack's JWKS file, issuer and audience
// (deploy/local/lib/oauth.sh), the principal being the token's sub (rowkube,
// which holds the stack's ACLs for names starting with KAFKA_SECURE_PREFIX).
// The token sits in a file that is replaced while rowkube runs, as a
// projected token is. A token signed by another key and an expired one each
// fail once, naming kafka.sasl.tokenFile; no token appears in any output.
const env = stackEnv();
const secure = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run with the environment of deploy/local/stack env`);
  return value;
};
const secureBrokers = secure('KAFKA_SECURE_BROKERS');
const caFile = secure('STACK_CA_FILE');
const securePrefix = secure('KAFKA_SECURE_PREFIX');

describe('kafka security > SASL_SSL with OAUTHBEARER and ACLs', () => {
  const tenants = uniqueName('tenants');
  const prefix = uniqueName(`${securePrefix}_oauth`);
  const base = uniqueName('koauth').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const dir = mkdtempSync(join(tmpdir(), 'rowkube-oauth-'));
  const tokens: string[] = [];
  const started: RowkubeProcess[] = [];
  let db: AdminDatabase;

  const config = (tokenFile: string) =>
    writeConfigFile(
      configMapPerRowYaml({
        kafka: `  brokers: [${secureBrokers}]
  topicPrefix: ${prefix}
  ssl: { ca: "\${file:${caFile}}" }
  sasl: { mechanism: oauthbearer, tokenFile: ${tokenFile} }`,
        kubeconfig: env.kubeconfig,
        namespace: base,
        captureUrl: db.captureUrl,
        table: tenants,
      }),
    );
  const mint = (file: string, options: Parameters<typeof mintOAuthToken>[1] = {}) => {
    const token = mintOAuthToken(file, options);
    tokens.push(token);
    return token;
  };
  const run = (file: string) => {
    const p = new RowkubeProcess(['run', '--config', file], []);
    started.push(p);
    return p;
  };
  const expectNoToken = (text: string) => {
    for (const token of tokens) {
      expect(text).not.toContain(token);
      // Its signature alone is as good as the token to a thief of logs.
      expect(text).not.toContain(token.split('.')[2]);
    }
  };

  beforeAll(async () => {
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
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs insert, update and delete end to end across the expiry of its first token, replaced in the file', async () => {
    // The first token lives 20 s. The broker ends each OAUTHBEARER session when
    // its token expires (connections.max.reauth.ms), so the update and the
    // delete, made after that, travel on sessions opened with the second
    // token: proof that rowkube re-reads the file and survives the expiry.
    const tokenFile = join(dir, 'token');
    const firstExpires = Date.now() + 20_000;
    mint(tokenFile, { ttlSeconds: 20 });
    const rowkube = run(config(tokenFile));
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
    // A rotation, as the kubelet or an identity agent does it: later logins use the new token.
    mint(tokenFile);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstExpires + 3_000 - Date.now())));
    await db.exec(`UPDATE ${tenants} SET plan = 'pro' WHERE tenant_id = 'acme'`);
    await until('the update of acme', async () => (await plan('acme')) === 'pro');
    await db.exec(`DELETE FROM ${tenants} WHERE tenant_id = 'acme'`);
    await until('the deletion of acme', async () => (await plan('acme')) === null);
    await rowkube.stop();
    expectNoToken(rowkube.text());
  }, 90_000);

  /** Runs `rowkube run` until it exits by itself; its output, which must hold one error and no token. */
  const failing = async (tokenFile: string) => {
    const rowkube = run(config(tokenFile));
    const begun = Date.now();
    expect(await rowkube.exited()).not.toBe(0);
    const text = rowkube.text();
    expect(Date.now() - begun).toBeLessThan(20_000);
    expect(text.match(/ROWKUBE_ERR_KAFKA_SECURITY/g)?.length).toBe(1);
    expect(text).toContain('kafka.sasl.tokenFile');
    expectNoToken(text);
    return text;
  };

  it('a token signed by another key fails once with the broker’s refusal, naming kafka.sasl.tokenFile', async () => {
    const key = join(dir, 'other.key');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const tokenFile = join(dir, 'foreign-token');
    mint(tokenFile, { key });
    const text = await failing(tokenFile);
    expect(text).toContain('invalid_token');
  }, 30_000);

  it('an expired token fails once, naming kafka.sasl.tokenFile and when it expired', async () => {
    const tokenFile = join(dir, 'expired-token');
    mint(tokenFile, { ttlSeconds: -60 });
    const text = await failing(tokenFile);
    expect(text).toMatch(/expired at \d{4}-\d\d-\d\dT/);
  }, 30_000);

  it('a missing token file fails once, naming kafka.sasl.tokenFile', async () => {
    const text = await failing(join(dir, 'no-such-token'));
    expect(text).toContain('no-such-token');
  }, 30_000);
});
