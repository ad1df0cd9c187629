import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/load-config.js';
import { desiredTopic } from '../../src/contracts/index.js';
import { createKafka, type TailRecord, tailTopic } from '../../src/kafka/index.js';
import { type AdminDatabase, openAdminDatabase } from '../../support/admin-database.js';
import { writeConfigFile } from '../../support/config-file.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { type StageRun, startStages } from '../../support/stage-run.js';
import { waitFor } from '../../support/wait-for.js';

// A lookup table end to end: feature flag rows join their tenant, and a change
// to one re-renders that tenant's node only.
const env = stackEnv();

describe('processor > lookups end to end (MariaDB feature flags)', () => {
  const tenants = uniqueName('tenants');
  const flags = uniqueName('flags');
  const source = uniqueName('src');
  const prefix = uniqueName('rk');
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  let db: AdminDatabase;
  let capture: RowkubeProcess;
  let processing: StageRun | undefined;
  let failure: unknown;

  beforeAll(async () => {
    db = await openAdminDatabase('mariadb');
    await db.exec(`CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY)`);
    await db.exec(
      `CREATE TABLE ${flags} (tenant_id VARCHAR(63), flag VARCHAR(63), PRIMARY KEY (tenant_id, flag))`,
    );
    const config = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
sources:
  - name: ${source}
    mysql: { url: "${db.captureUrl}" }
    tables: [${tenants}, ${flags}]
hubs:
  - name: tenants
    source: ${source}
    table: ${tenants}
    uid: tenant_id
    lookups: [{ name: features, table: ${flags}, key: tenant_id }]
forms:
  - name: web
    hub: tenants
    resources:
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "{{ uid }}-features" }
          data: { features: "{{ features | map: 'flag' | sort | join: ',' }}" }
`,
    );
    capture = new RowkubeProcess(['capture', '--config', config]);
    processing = startStages(loadConfig(config), ['process']);
    processing.died.catch((error: unknown) => {
      failure = error;
    });
  });

  afterAll(async () => {
    await processing?.stop().catch(() => undefined);
    await capture?.stop();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}, ${flags}`);
    await db?.close();
  });

  /** The features each tenant's records carried, in order; a tombstone is null. */
  async function featureHistory(): Promise<Record<string, (string | null)[]>> {
    const records: TailRecord[] = [];
    await tailTopic({
      kafka,
      topic: desiredTopic(prefix),
      prefix,
      onRecord: (r) => void records.push(r),
    }).catch(
      () => 0, // the topic appears with the processor's first record
    );
    const history: Record<string, (string | null)[]> = {};
    for (const record of records) {
      const value = record.value as { resources: { manifest: string }[] } | null;
      const manifest = value ? JSON.parse(value.resources[0]?.manifest ?? '{}') : null;
      const id = String(record.key);
      history[id] = [...(history[id] ?? []), manifest?.data?.features ?? null];
    }
    return history;
  }

  const until = (what: string, done: (h: Record<string, (string | null)[]>) => boolean) =>
    waitFor(
      what,
      async () => {
        if (capture.exitCode !== null) throw new Error(`capture exited:\n${capture.lastOutput()}`);
        if (failure) throw failure;
        const history = await featureHistory();
        return done(history) ? history : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

  it('joins flag rows to their tenant and re-renders only that tenant when one changes', async () => {
    const last = (h: Record<string, (string | null)[]>, id: string) => h[id]?.at(-1);
    await db.exec(`INSERT INTO ${flags} VALUES ('acme', 'sso')`);
    await db.exec(`INSERT INTO ${tenants} VALUES ('acme'), ('globex')`);
    // Hub and lookup rows come from two topics with no order between them: acme
    // may render once without its flag first, then converges.
    await until(
      'acme with sso, and globex',
      (h) => last(h, 'web/acme') === 'sso' && h['web/globex'] !== undefined,
    );

    await db.exec(`INSERT INTO ${flags} VALUES ('acme', 'beta')`);
    await until('acme re-rendered with beta', (h) => last(h, 'web/acme') === 'beta,sso');
    await db.exec(`DELETE FROM ${flags} WHERE tenant_id = 'acme' AND flag = 'sso'`);
    // A barrier: a new tenant's record comes after everything before it was processed.
    await db.exec(`INSERT INTO ${tenants} VALUES ('initech')`);
    const history = await until(
      'acme without sso, then initech',
      (h) => h['web/initech'] !== undefined && last(h, 'web/acme') === 'beta',
    );

    expect(history['web/acme']?.slice(-3)).toEqual(['sso', 'beta,sso', 'beta']);
    // Flags of another tenant never touched globex's node.
    expect(history['web/globex']).toEqual(['']);
    expect(history['web/initech']).toEqual(['']);
  });
});
