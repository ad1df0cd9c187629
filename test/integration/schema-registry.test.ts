import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/sink/kube/index.js';
import {
  type AdminDatabase,
  type DatabaseKind,
  openAdminDatabase,
  sourceKey,
} from '../../support/admin-database.js';
import { writeConfigFile } from '../../support/config-file.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { replayKubeconfig, schemaRegistryEnv, stackEnv, uniqueName } from '../../support/stack-env.js';
import { untilRunning } from '../../support/until-running.js';
import { waitFor } from '../../support/wait-for.js';

// `schemaRegistry` set: a whole pipeline (`rowkube run`) writes every topic in
// the Confluent wire format against the stack's registry (Apicurio, Confluent
// API). What it shows:
// - rows go end to end into Kubernetes;
// - a consumer that uses no rowkube code (kafkajs and
//   @kafkajs/confluent-schema-registry, as any Node user would) decodes the
//   change, desired and audit topics; no `_schemas` record, no rowkube header;
// - ALTER TABLE ADD COLUMN registers a new version of the value subject, and
//   the records written before it still decode;
// - a subject whose compatibility refuses the next schema stops capture of
//   that table only, with one clear error, while another table of the same
//   source keeps being applied;
// - `rowkube tail` decodes a registry-format topic.
// The registry is shared and in-memory: every prefix (so every subject) is unique.
const env = stackEnv();
const registryEnv = schemaRegistryEnv();

describe.each<DatabaseKind>(['mariadb', 'postgres'])('schema registry > pipeline on %s', (kind) => {
  const tenants = uniqueName('tenants');
  const teams = uniqueName('teams');
  /** Captured, in no hub: its TRUNCATE shows the truncate key's own subject. */
  const logs = uniqueName('logs');
  const prefix = uniqueName('rk');
  const namespace = uniqueName('sr').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const topic = (table: string) => `${prefix}.appdb.${table}`;
  const registry = new SchemaRegistry({
    host: registryEnv.url,
    auth: { username: registryEnv.username, password: registryEnv.password },
  });
  const kafka = new Kafka({
    brokers: env.kafkaBrokers,
    clientId: 'independent-consumer',
    logLevel: logLevel.NOTHING,
  });
  let db: AdminDatabase;
  let rowkube: RowkubeProcess;
  let config: string;

  const configMap = (name: string) => kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
  const dataOf = async (name: string) =>
    ((await configMap(name))?.data as Record<string, string> | undefined) ?? {};
  const until = <T>(what: string, probe: () => Promise<T | undefined>) =>
    untilRunning(() => rowkube, what, probe);

  /** The registry's REST API, for what the Node client does not offer (versions, per-subject config). */
  const rest = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await fetch(`${registryEnv.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Basic ${Buffer.from(`${registryEnv.username}:${registryEnv.password}`).toString('base64')}`,
        'content-type': 'application/vnd.schemaregistry.v1+json',
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as unknown };
  };

  interface Consumed {
    key: unknown;
    value: unknown;
    headers: string[];
    keyId: number | undefined;
    valueId: number | undefined;
  }

  /** Every record of `name` so far, read from the start and decoded by the Node registry client only. */
  const consumeAll = async (name: string, atLeast: number): Promise<Consumed[]> => {
    // Capture creates a change topic with its first record.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        `topic ${name}`,
        async () => ((await admin.listTopics()).includes(name) ? true : undefined),
        {
          timeoutMs: 60_000,
          intervalMs: 200,
        },
      );
    } finally {
      await admin.disconnect();
    }
    const consumer: Consumer = kafka.consumer({ groupId: uniqueName('independent') });
    const records: Consumed[] = [];
    const failures: unknown[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: name, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          try {
            const idOf = (bytes: Buffer | null) =>
              bytes === null || bytes[0] !== 0 ? undefined : bytes.readUInt32BE(1);
            records.push({
              key: message.key === null ? null : await registry.decode(message.key),
              value: message.value === null ? null : await registry.decode(message.value),
              headers: Object.keys(message.headers ?? {}),
              keyId: idOf(message.key),
              valueId: idOf(message.value),
            });
          } catch (error) {
            failures.push(error);
          }
        },
      });
      await waitFor(
        `${atLeast} records of ${name}`,
        async () => {
          if (failures.length > 0) throw failures[0];
          return records.length >= atLeast ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      return records;
    } finally {
      await consumer.disconnect();
    }
  };

  beforeAll(async () => {
    db = await openAdminDatabase(kind);
    await db.exec(`CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20))`);
    await db.exec(`CREATE TABLE ${teams} (team_id VARCHAR(63) PRIMARY KEY, size INT)`);
    await db.exec(`CREATE TABLE ${logs} (log_id INT PRIMARY KEY, line VARCHAR(80))`);
    if (kind === 'postgres')
      await db.exec(`CREATE PUBLICATION ${prefix} FOR TABLE ${tenants}, ${teams}, ${logs}`);
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'test-setup', force: true },
    );
    config = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
schemaRegistry:
  url: ${registryEnv.url}
  auth: { username: ${registryEnv.username}, password: "\${env:ROWKUBE_TEST_REGISTRY_PASSWORD}" }
kubernetes:
  kubeconfig: ${env.kubeconfig}
  allowedNamespaces: ["${namespace}"]
sources:
  - name: appdb
    ${sourceKey(kind)}: { url: "${db.captureUrl}"${kind === 'postgres' ? `, slot: ${prefix}, publication: ${prefix}` : ''} }
    tables: [${tenants}, ${teams}, ${logs}]
hubs:
  - { name: tenants, source: appdb, table: ${tenants}, uid: tenant_id, values: { plan: plan } }
  - { name: teams, source: appdb, table: ${teams}, uid: team_id, values: { size: size } }
forms:
  - name: tenant
    hub: tenants
    resources:
      - id: cm
        manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "tenant-{{ uid }}", namespace: "${namespace}" }, data: { plan: "{{ plan }}" } }
  - name: team
    hub: teams
    resources:
      - id: cm
        manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "team-{{ uid }}", namespace: "${namespace}" }, data: { size: "{{ size }}" } }
`,
    );
    rowkube = new RowkubeProcess(['run', '--config', config], [], {
      env: { ROWKUBE_TEST_REGISTRY_PASSWORD: registryEnv.password },
    });
  });

  afterAll(async () => {
    await rowkube?.stop();
    await kube.delete(
      { apiVersion: 'v1', kind: 'Namespace', name: namespace },
      { propagation: 'Background' },
    );
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}, ${teams}, ${logs}`);
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

  it('rows go end to end with the registry on', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('acme', 'basic')`);
    await db.exec(`INSERT INTO ${teams} VALUES ('red', 5)`);
    await until(
      'the acme ConfigMap',
      async () => (await dataOf('tenant-acme')).plan === 'basic' || undefined,
    );
    await until('the red ConfigMap', async () => (await dataOf('team-red')).size === '5' || undefined);
  });

  it('a consumer with no rowkube code decodes the change, desired and audit topics', async () => {
    const changes = await consumeAll(topic(tenants), 1);
    expect(changes[0]?.headers.filter((h) => h.startsWith('rowkube.'))).toEqual([]);
    expect(changes[0]?.key).toEqual({ tenant_id: 'acme' });
    expect(changes[0]?.value).toMatchObject({
      // 'r' when the first snapshot read the row, 'c' when the stream did.
      op: expect.stringMatching(/^[cr]$/),
      before: null,
      after: { tenant_id: 'acme', plan: 'basic' },
    });

    const desired = await consumeAll(`${prefix}.desired`, 2);
    const ids = desired.map((record) => (record.value as { id?: string } | null)?.id);
    expect(desired.every((record) => typeof record.key === 'string' || typeof record.key === 'object')).toBe(
      true,
    );
    expect(ids.length).toBeGreaterThanOrEqual(2);
    expect(desired.every((record) => record.headers.every((h) => !h.startsWith('rowkube.')))).toBe(true);

    const audit = await consumeAll(`${prefix}.audit`, 2);
    expect(audit.map((record) => (record.value as { action?: string }).action)).toContain('created');

    // Nothing went to the embedded schema topic.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      if (topics.includes(`${prefix}._schemas`)) {
        const offsets = await admin.fetchTopicOffsets(`${prefix}._schemas`);
        expect(offsets.every((o) => o.high === '0')).toBe(true);
      }
    } finally {
      await admin.disconnect();
    }
    // Subjects by TopicNameStrategy.
    const subjects = (await rest('/subjects')).body as string[];
    for (const name of [topic(tenants), topic(teams), `${prefix}.desired`, `${prefix}.audit`]) {
      expect(subjects).toContain(`${name}-key`);
      expect(subjects).toContain(`${name}-value`);
    }
  });

  it('a TRUNCATE goes out with its key registered under <topic>-truncate-key, not the row key subject', async () => {
    await db.exec(`INSERT INTO ${logs} VALUES (1, 'first')`);
    await db.exec(`TRUNCATE TABLE ${logs}`);
    const records = await consumeAll(topic(logs), 2);
    expect(records[0]?.key).toEqual({ log_id: 1 });
    expect(records[1]?.value).toMatchObject({ op: 't', before: null, after: null });
    expect(Object.values(records[1]?.key as object)).toHaveLength(1);
    const subjects = (await rest('/subjects')).body as string[];
    expect(subjects).toContain(`${topic(logs)}-truncate-key`);
    expect((await rest(`/subjects/${topic(logs)}-key/versions`)).body).toEqual([1]);
  });

  it('ALTER TABLE ADD COLUMN registers a new value version; older records still decode', async () => {
    const subject = `${topic(tenants)}-value`;
    expect((await rest(`/subjects/${subject}/versions`)).body).toEqual([1]);
    await db.exec(`ALTER TABLE ${tenants} ADD COLUMN note VARCHAR(40)`);
    await db.exec(`INSERT INTO ${tenants} VALUES ('globex', 'gold', 'added later')`);
    await until('a second version of the value subject', async () => {
      const versions = (await rest(`/subjects/${subject}/versions`)).body as number[];
      return versions.length === 2 ? versions : undefined;
    });
    const changes = await consumeAll(topic(tenants), 2);
    expect(changes[0]?.value).toMatchObject({ after: { tenant_id: 'acme', plan: 'basic' } });
    expect(changes[1]?.value).toMatchObject({
      after: { tenant_id: 'globex', plan: 'gold', note: 'added later' },
    });
    expect(changes[0]?.valueId).not.toBe(changes[1]?.valueId);
    await until(
      'the globex ConfigMap',
      async () => (await dataOf('tenant-globex')).plan === 'gold' || undefined,
    );
  });

  it('a schema the subject refuses stops that table only, with one clear error', async () => {
    const subject = `${topic(teams)}-value`;
    const set = await rest(`/config/${subject}`, { method: 'PUT', body: { compatibility: 'BACKWARD' } });
    expect(set.status).toBe(200);
    // INT → VARCHAR: a reader of the new schema cannot read the old ints, which BACKWARD refuses.
    await db.exec(
      kind === 'postgres'
        ? `ALTER TABLE ${teams} ALTER COLUMN size TYPE VARCHAR(10)`
        : `ALTER TABLE ${teams} MODIFY size VARCHAR(10)`,
    );
    await db.exec(`INSERT INTO ${teams} VALUES ('blue', 'big')`);
    const refused = await until('the refusal in the log', async () => {
      const lines = rowkube.logLines(/ROWKUBE_ERR_SCHEMA_REFUSED/);
      return lines.length > 0 ? lines : undefined;
    });
    const text = JSON.stringify(refused[0]);
    expect(text).toContain(subject);
    expect(text).toContain(teams);
    expect(text).toContain(`rowkube snapshot --source appdb --table ${teams}`);
    expect(text).not.toContain(registryEnv.password);
    if (process.env.SHOW_REFUSAL) console.log(text);

    // The other table of the source goes on.
    await db.exec(`INSERT INTO ${tenants} VALUES ('initech', 'basic', NULL)`);
    await until(
      'the initech ConfigMap',
      async () => (await dataOf('tenant-initech')).plan === 'basic' || undefined,
    );
    await db.exec(`INSERT INTO ${teams} VALUES ('green', 'small')`);
    await db.exec(`INSERT INTO ${tenants} VALUES ('hooli', 'gold', NULL)`);
    await until(
      'the hooli ConfigMap',
      async () => (await dataOf('tenant-hooli')).plan === 'gold' || undefined,
    );
    expect(await configMap('team-blue')).toBeUndefined();
    expect(await configMap('team-green')).toBeUndefined();
    // Logged once, not once per change.
    expect(rowkube.logLines(/table-stopped/)).toHaveLength(1);
    expect((await rest(`/subjects/${subject}/versions`)).body).toEqual([1]);
    // No secret in anything rowkube printed.
    expect(rowkube.text()).not.toContain(registryEnv.password);
  });

  it('rowkube tail decodes a registry-format topic', async () => {
    const tail = new RowkubeProcess(['tail', topic(tenants), '--config', config, '--limit', '2'], [], {
      env: { ROWKUBE_TEST_REGISTRY_PASSWORD: registryEnv.password },
    });
    expect(await tail.exited()).toBe(0);
    const lines = tail
      .text()
      .split('\n')
      .filter((line) => line.startsWith('{"topic"'))
      .map((line) => JSON.parse(line) as { key: unknown; value: { after?: unknown }; error?: string });
    expect(lines).toHaveLength(2);
    expect(lines[0]?.error).toBeUndefined();
    expect(lines[0]?.key).toEqual({ tenant_id: 'acme' });
    expect(lines[1]?.value.after).toMatchObject({ tenant_id: 'globex', note: 'added later' });

    // Without a registry, the same topic names the setting to add.
    const bare = new RowkubeProcess([
      'tail',
      topic(tenants),
      '--brokers',
      env.kafkaBrokers.join(','),
      '--limit',
      '1',
    ]);
    expect(await bare.exited()).toBe(0);
    expect(bare.text()).toContain('schemaRegistry');
    expect(bare.text()).toContain('--registry');
  });

  it('the status topic is in the registry format; rowkube status reads it and the node history', async () => {
    const statuses = await consumeAll(`${prefix}.status`, 1);
    expect(statuses.every((record) => record.headers.every((h) => !h.startsWith('rowkube.')))).toBe(true);
    expect(statuses.map((record) => (record.value as { nodeId?: string } | null)?.nodeId)).toContain(
      'tenant/acme',
    );
    const subjects = (await rest('/subjects')).body as string[];
    expect(subjects).toEqual(expect.arrayContaining([`${prefix}.status-key`, `${prefix}.status-value`]));

    const cli = (...args: string[]) =>
      new RowkubeProcess(['status', ...args, '--config', config, '-o', 'json'], [], {
        env: { ROWKUBE_TEST_REGISTRY_PASSWORD: registryEnv.password },
      });
    const list = cli();
    expect(await list.exited(), list.text()).toBe(0);
    const listed = JSON.parse(list.text()) as { nodeId: string; state: string }[];
    expect(listed.find((s) => s.nodeId === 'tenant/acme')?.state).toBe('Ready');
    const one = cli('tenant/acme');
    expect(await one.exited(), one.text()).toBe(0);
    const page = JSON.parse(one.text()) as { status: { state: string }; history: { action: string }[] };
    expect(page.history.map((e) => e.action)).toContain('created');
  });

  it('rowkube replay reads the registry-format desired topic and writes its audit events in that format', async () => {
    const replayKube = KubeClient.fromKubeconfigFile(replayKubeconfig());
    try {
      await replayKube.apply(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
        { fieldManager: 'test-setup', force: true },
      );
      const replay = new RowkubeProcess(
        ['replay', '--config', config, '--kubeconfig', replayKubeconfig()],
        [],
        {
          env: { ROWKUBE_TEST_REGISTRY_PASSWORD: registryEnv.password },
        },
      );
      expect(await replay.exited(), replay.text()).toBe(0);
      expect(replay.text()).toMatch(/0 failed/);
      const replayed = await replayKube.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace,
        name: 'tenant-globex',
      });
      expect(replayed?.data).toMatchObject({ plan: 'gold' });
      // Replay's audit events, decoded by the independent consumer like the sink's.
      await waitFor(
        'a replay event in the audit topic',
        async () => {
          const all = await consumeAll(`${prefix}.audit`, 1);
          return all.some((record) =>
            String((record.value as { reason?: string }).reason).startsWith('replay'),
          )
            ? true
            : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
    } finally {
      await replayKube.delete(
        { apiVersion: 'v1', kind: 'Namespace', name: namespace },
        { propagation: 'Background' },
      );
      replayKube.close();
    }
  });
});
