import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../src/contracts/index.js';
import { createKafka, StatusView } from '../../src/kafka/index.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import { type AdminDatabase, type DatabaseKind, openAdminDatabase } from '../../support/admin-database.js';
import { namespacePerTenantResources, oneHubYaml, writeConfigFile } from '../../support/config-file.js';
import { removePipelineLeftovers } from '../../support/pipeline-leftovers.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Node status end to end (docs/status.md), through `rowkube run` on each
// database, read both through StatusView and through `rowkube status`: a new
// tenant goes Progressing → Ready; a row with an invalid name is Failed with
// ROWKUBE_ERR_INVALID_NAME and the field; an object held by another field
// manager (Stuck) makes its node Conflict; a deleted row is Deleted, then
// gone once the (short) retention has passed.
const env = stackEnv();

describe.each<DatabaseKind>(['mariadb', 'postgres'])('status > end to end on %s', (kind) => {
  const tenants = uniqueName('tenants');
  const prefix = uniqueName('rkst');
  const base = uniqueName('st').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  let db: AdminDatabase;
  let rowkube: RowkubeProcess;
  let view: StatusView;
  let config: string;
  /** Every state each node went through, as the view saw them. */
  const seen = new Map<string, (string | undefined)[]>();

  const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
    waitFor(
      what,
      async () => {
        if (rowkube.exitCode !== null) throw new Error(`rowkube run exited:\n${rowkube.lastOutput(40)}`);
        return probe();
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\nstates seen: ${JSON.stringify([...seen])}\nrowkube run said:\n${rowkube.lastOutput(30)}`,
      );
    });
  const stateOf = (uid: string) => view.get(`web/${uid}`)?.state;
  const untilState = (uid: string, state: string) =>
    until(`web/${uid} ${state}`, () =>
      stateOf(uid) === state ? (view.get(`web/${uid}`) as NodeStatus) : undefined,
    );

  /** `rowkube status ARGS --config FILE`, its exit code and output. */
  async function statusCli(...args: string[]): Promise<{ code: number | null; text: string }> {
    const cli = new RowkubeProcess(['status', ...args, '--config', config]);
    const code = await cli.exited();
    return { code, text: cli.text() };
  }

  beforeAll(async () => {
    db = await openAdminDatabase(kind);
    await db.exec(`CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20))`);
    if (kind === 'postgres') await db.exec(`CREATE PUBLICATION ${prefix} FOR TABLE ${tenants}`);
    config = writeConfigFile(
      oneHubYaml({
        prefix,
        namespaces: `${base}-*`,
        kind,
        captureUrl: db.captureUrl,
        tables: [tenants],
        sections: 'sink: { statusDeletedRetentionSeconds: 2 }',
        resources: `${namespacePerTenantResources(base)}      - id: app
        dependIds: [config]
        waitForReady: true
        timeoutSeconds: 60
        manifest:
          apiVersion: apps/v1
          kind: Deployment
          metadata: { name: web, namespace: "${base}-{{ uid }}" }
          spec:
            replicas: 1
            selector: { matchLabels: { app: web } }
            template:
              metadata: { labels: { app: web } }
              spec: { containers: [{ name: web, image: "nginx:1.27" }] }
      - id: claim
        conflictPolicy: Stuck
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "claim-{{ uid }}", namespace: "${base}-shared" }
          data: { owner: rowkube }
`,
      }),
    );
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${base}-shared` } },
      { fieldManager: 'test-setup', force: true },
    );
    // globex's claim is taken: another manager owns its data.owner.
    await kube.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'claim-globex', namespace: `${base}-shared` },
        data: { owner: 'other-team' },
      },
      { fieldManager: 'other-team', force: false },
    );
    rowkube = new RowkubeProcess(['run', '--config', config]);
    // The sink creates the status topic when it starts: wait for it, then follow.
    view = await until('the status topic', async () =>
      StatusView.open({ kafka, prefix }).catch(() => undefined),
    );
    await view.ready();
    view.subscribe((nodeId, status) => seen.set(nodeId, [...(seen.get(nodeId) ?? []), status?.state]));
  });

  afterAll(async () => {
    await view?.close();
    await rowkube?.stop();
    for (const uid of ['acme', 'globex', 'shared'])
      await kube.delete(
        { apiVersion: 'v1', kind: 'Namespace', name: `${base}-${uid}` },
        { propagation: 'Background' },
      );
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}`);
    await db?.close();
    await removePipelineLeftovers(kafka, prefix, kind);
  });

  it('a new tenant goes Progressing → Ready, every object ready, with its row version', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('acme', 'basic')`);
    const ready = await untilState('acme', 'Ready');
    expect(seen.get('web/acme')).toEqual(['Progressing', 'Ready']);
    expect(ready).toMatchObject({ hub: 'tenants', form: 'web', source: 'appdb', error: null });
    expect(ready.position).not.toBeNull();
    expect(ready.commitTsMs).not.toBeNull();
    expect(ready.contentHash).not.toBe('');
    expect(
      ready.objects.map((o) => [o.resourceId, o.kind, o.namespace, o.name, o.lastAction, o.ready]),
    ).toEqual([
      ['ns', 'Namespace', null, `${base}-acme`, 'created', true],
      ['config', 'ConfigMap', `${base}-acme`, 'settings', 'created', true],
      ['app', 'Deployment', `${base}-acme`, 'web', 'created', true],
      ['claim', 'ConfigMap', `${base}-shared`, 'claim-acme', 'created', true],
    ]);

    // The same through the CLI, as JSON (longs as strings) and as the table.
    const json = await statusCli('-o', 'json');
    expect(json.code, json.text).toBe(0);
    const listed = JSON.parse(json.text) as { nodeId: string; state: string; objects: unknown[] }[];
    expect(listed.find((s) => s.nodeId === 'web/acme')).toMatchObject({
      state: 'Ready',
      objects: expect.any(Array),
    });
    const table = await statusCli();
    expect(table.code, table.text).toBe(0);
    expect(table.text.split('\n')[0]).toMatch(/^NODE\s+FORM\s+STATE\s+READY\s+AGE\s+ERROR$/);
    expect(table.text).toMatch(/web\/acme\s+web\s+Ready\s+4\/4\s+\d+[smhd]/);
    const page = await statusCli('web/acme');
    expect(page.code, page.text).toBe(0);
    expect(page.text).toContain('State:     Ready');
    expect(page.text).toMatch(/appdb\.\S+ transaction at .+, committed \d{4}-/);
    expect(page.text).toMatch(/created\s+Deployment\/\S+\/web\s+\d+ms/);
  });

  it('a row with an invalid name is Failed with ROWKUBE_ERR_INVALID_NAME and the field', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('Bad_Tenant', 'basic')`);
    const failed = await untilState('Bad_Tenant', 'Failed');
    expect(failed.error?.code).toBe('ROWKUBE_ERR_INVALID_NAME');
    expect(failed.error?.message).toContain('metadata.name');
    const listed = await statusCli('--failed', '-o', 'json');
    expect(listed.code, listed.text).toBe(0);
    const failedNodes = JSON.parse(listed.text) as NodeStatus[];
    expect(failedNodes.map((s) => s.nodeId)).toEqual(['web/Bad_Tenant']);
    expect(failedNodes[0]?.error).toMatchObject({ code: 'ROWKUBE_ERR_INVALID_NAME' });
  });

  it('an object held by another field manager (Stuck) makes its node Conflict', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('globex', 'gold')`);
    const conflict = await untilState('globex', 'Conflict');
    expect(conflict.error?.message).toContain('.data.owner');
    const claim = conflict.objects.find((o) => o.resourceId === 'claim');
    expect(claim).toMatchObject({ lastAction: 'conflict', ready: false });
  });

  it('a deleted row is Deleted, then gone after the retention; the CLI says so', async () => {
    await db.exec(`DELETE FROM ${tenants} WHERE tenant_id = 'acme'`);
    const deleted = await untilState('acme', 'Deleted');
    expect(deleted.objects.every((o) => o.lastAction === 'deleted' && !o.ready)).toBe(true);
    await until('web/acme gone from the status topic', () =>
      view.get('web/acme') === undefined ? true : undefined,
    );
    expect(seen.get('web/acme')?.slice(-2)).toEqual(['Deleted', undefined]);
    const page = await statusCli('web/acme');
    expect(page.code).toBe(1);
    expect(page.text).toMatch(/node 'web\/acme' has no status in '.*\.status'/);
  });
});

describe('status > CLI errors', () => {
  it('says the sink may not be running when the status topic does not exist', async () => {
    const cli = new RowkubeProcess([
      'status',
      '--brokers',
      env.kafkaBrokers.join(','),
      '--prefix',
      uniqueName('rknone'),
    ]);
    expect(await cli.exited()).toBe(1);
    expect(cli.text()).toMatch(/status topic 'rknone_\S+\.status' does not exist: is the sink running/);
  });
});
