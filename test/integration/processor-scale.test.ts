import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssignerProtocol } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/load-config.js';
import { desiredTopic, processorGroupId } from '../../src/contracts/index.js';
import { createKafka, type TailRecord, tailTopic } from '../../src/kafka/index.js';
import { type AdminDatabase, openAdminDatabase } from '../../support/admin-database.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { type StageRun, startStages } from '../../support/stage-run.js';
import { waitFor } from '../../support/wait-for.js';

// Two processor instances share a hub of four partitions; every instance reads
// the lookups whole. Then the take-over steps: an instance leaves and the other
// takes its partitions without producing anything twice, and a processor that
// starts with an edited configuration re-renders what changed (and tombstones
// the nodes of a form it no longer has) without any row changing.
const env = stackEnv();

interface Desired {
  resources: { manifest: string }[];
  provenance: { position: string | null };
}

describe('processor > instances sharing the hubs, and reconcile on take-over', () => {
  const tenants = uniqueName('tenants');
  const flags = uniqueName('flags');
  const source = uniqueName('src');
  const prefix = uniqueName('rk');
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  const directory = mkdtempSync(join(tmpdir(), 'rowkube-scale-'));
  const running = new Map<string, StageRun>();
  let db: AdminDatabase;
  let capture: RowkubeProcess;

  function writeConfig(name: string, forms: string): string {
    const path = join(directory, name);
    writeFileSync(
      path,
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix}, partitions: 4 }
sources:
  - name: ${source}
    mysql: { url: "${db.captureUrl}" }
    tables: [${tenants}, ${flags}]
hubs:
  - name: tenants
    source: ${source}
    table: ${tenants}
    uid: tenant_id
    values: { plan: plan }
    lookups: [{ name: features, table: ${flags}, key: tenant_id }]
forms:
${forms}`,
    );
    return path;
  }

  const webForm = (data: string) => `  - name: web
    hub: tenants
    resources:
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "{{ uid }}-web" }
          data: { ${data} }
`;
  const extraForm = `  - name: extra
    hub: tenants
    resources:
      - id: note
        manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "{{ uid }}-extra" } }
`;

  function start(instance: string, configPath: string): void {
    running.set(
      instance,
      startStages(loadConfig(configPath), ['process'], { instance, processor: { restartDelayMs: 200 } }),
    );
  }

  async function stop(instance: string): Promise<void> {
    const entry = running.get(instance);
    running.delete(instance);
    await entry?.stop();
  }

  async function records(): Promise<TailRecord[]> {
    const all: TailRecord[] = [];
    await tailTopic({ kafka, topic: desiredTopic(prefix), prefix, onRecord: (r) => void all.push(r) }).catch(
      () => 0, // the topic appears with the processor's first record
    );
    return all;
  }

  function byNode(all: TailRecord[]): Map<string, (Desired | null)[]> {
    const result = new Map<string, (Desired | null)[]>();
    for (const record of all) {
      const id = String(record.key);
      result.set(id, [...(result.get(id) ?? []), record.value as unknown as Desired | null]);
    }
    return result;
  }

  const data = (value: Desired | null | undefined) =>
    value ? (JSON.parse(value.resources[0]?.manifest ?? '{}').data as Record<string, string>) : null;

  async function until(what: string, done: (nodes: Map<string, (Desired | null)[]>) => boolean) {
    return waitFor(
      what,
      async () => {
        if (capture.exitCode !== null) throw new Error(`capture exited:\n${capture.lastOutput()}`);
        const nodes = byNode(await records());
        return done(nodes) ? nodes : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
  }

  /** The group has settled with this many members, so no take-over is pending. */
  async function groupStable(members: number): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        `the processor group to settle with ${members} member(s)`,
        async () => {
          const { groups } = await admin.describeGroups([processorGroupId(prefix)]);
          const group = groups[0];
          if (group?.state !== 'Stable' || group.members.length !== members) return undefined;
          // Each member owns a share of the hub's partitions.
          const shares = group.members.map((member) => {
            const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
            return Object.values(assignment?.assignment ?? {}).flat().length;
          });
          return shares.every((share) => share > 0) ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    } finally {
      await admin.disconnect();
    }
  }

  const ids = Array.from({ length: 20 }, (_, i) => `t${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    db = await openAdminDatabase('mariadb');
    await db.exec(`CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20))`);
    await db.exec(
      `CREATE TABLE ${flags} (tenant_id VARCHAR(63), flag VARCHAR(63), PRIMARY KEY (tenant_id, flag))`,
    );
    const config = writeConfig(
      'first.yaml',
      webForm(`plan: "{{ plan }}", features: "{{ features | map: 'flag' | join: ',' }}"`) + extraForm,
    );
    capture = new RowkubeProcess(['capture', '--config', config]);
    start('a', config);
    start('b', config);
    await groupStable(2);
  });

  afterAll(async () => {
    await Promise.all([...running.keys()].map((instance) => stop(instance)));
    await capture?.stop();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}, ${flags}`);
    await db?.close();
  });

  it('two instances render every node once, and a lookup change re-renders one node once', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ${ids.map((id) => `('${id}', 'basic')`).join(', ')}`);
    await until('every tenant rendered by one instance or the other', (nodes) =>
      ids.every((id) => nodes.has(`web/${id}`) && nodes.has(`extra/${id}`)),
    );
    await db.exec(`INSERT INTO ${flags} VALUES ('t07', 'sso')`);
    const nodes = await until(
      't07 re-rendered with its flag',
      (n) => data(n.get('web/t07')?.at(-1))?.features === 'sso',
    );

    // The rows spread over four partitions, so both instances had a share.
    for (const id of ids) {
      expect(nodes.get(`web/${id}`)?.length, `web/${id}`).toBe(id === 't07' ? 2 : 1);
      expect(nodes.get(`extra/${id}`)?.length, `extra/${id}`).toBe(1);
    }
  });

  it('an instance that leaves hands its partitions over without producing anything twice', async () => {
    const before = (await records()).length;
    await stop('a');
    await groupStable(1);
    await db.exec(`INSERT INTO ${tenants} VALUES ('t99', 'basic')`);
    const nodes = await until('the new tenant rendered by the remaining instance', (n) => n.has('web/t99'));
    // Two new records (web/t99, extra/t99) and nothing else: the take-over reconciled to no difference.
    expect((await records()).length).toBe(before + 2);
    expect(nodes.get('web/t00')?.length).toBe(1);
  });

  it('a processor started with an edited configuration re-renders what changed', async () => {
    await stop('b');
    const edited = writeConfig(
      'edited.yaml',
      webForm(`plan: "{{ plan | upcase }}", features: "{{ features | map: 'flag' | join: ',' }}"`),
    );
    start('a', edited);
    const all = [...ids, 't99'];
    const nodes = await until(
      'every web node re-rendered with the edited form, every extra node tombstoned',
      (n) =>
        all.every(
          (id) => data(n.get(`web/${id}`)?.at(-1))?.plan === 'BASIC' && n.get(`extra/${id}`)?.at(-1) === null,
        ),
    );
    const t07 = nodes.get('web/t07') ?? [];
    expect(data(t07.at(-1))).toEqual({ plan: 'BASIC', features: 'sso' });
    // Caused by no row change: the record says so with a null position.
    expect(t07.at(-1)?.provenance.position).toBeNull();
    expect(t07).toHaveLength(3);
  });
});
