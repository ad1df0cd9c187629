import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/index.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import { type AdminDatabase, openAdminDatabase } from '../../support/admin-database.js';
import { writeConfigFile } from '../../support/config-file.js';
import { removePipelineLeftovers } from '../../support/pipeline-leftovers.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';
import {
  type ObjectWitness,
  objectWitnesses,
  snapshotDifferences,
  topicEndOffsets,
  writesBetween,
} from '../../support/write-witness.js';

// `rowkube plan` on a 1,000-tenant pipeline (issue 16): `rowkube run` applies
// 1,000 nodes (a ConfigMap and two Deployments each, replicas 0 and paused:
// a paused Deployment gets no ReplicaSet, so the shared controller-manager
// writes once per Deployment, not four times), is stopped, and plans of new
// configurations are checked against what they must report — while the
// objects' resourceVersions and writers and the topics' end offsets prove that
// planning wrote nothing. The controller-manager is still writing the
// Deployments' status meanwhile (here it took minutes for 2,000), so a moved
// resourceVersion is told apart by its writer (write-witness.ts).
const env = stackEnv();
const TENANTS = 1_000;
/** The tenant whose replicas the API server refuses in the "invalid" configuration. */
const INVALID = 't0007';
/** The tenant whose plan is not a label value: the processor cannot render it in the "invalid" configuration. */
const UNRENDERABLE = 't0008';

describe('rowkube plan > a form change across 1,000 tenants', () => {
  const table = uniqueName('plan_tenants');
  const prefix = uniqueName('rkplan');
  const namespace = uniqueName('plan').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'plan-test' });
  const kinds = [
    { apiVersion: 'v1', kind: 'ConfigMap' },
    { apiVersion: 'apps/v1', kind: 'Deployment' },
    { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  ];
  let db: AdminDatabase;
  let run: RowkubeProcess | undefined;
  let clusterBefore: Map<string, ObjectWitness>;
  let topicsBefore: Map<string, string>;

  /** The configuration with the given Deployment settings; `extra` goes under the ConfigMap's metadata. */
  const config = (options: {
    image: string;
    sideSelector: string;
    sideRecreate?: boolean;
    replicas?: string;
    configLabels?: string;
    /** The hub's row filter. */
    filter?: string;
    /** Leave the `side` resource out of the form. */
    withoutSide?: boolean;
  }) =>
    writeConfigFile(`kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
kubernetes:
  kubeconfig: ${env.kubeconfig}
  allowedNamespaces: ["${namespace}"]
sources:
  - name: appdb
    mysql: { url: "${db.captureUrl}" }
    tables: [${table}]
hubs:
  - name: tenants
    source: appdb
    table: ${table}
    uid: tenant_id
    values: { plan: plan, replicas: replicas }
    ${options.filter ? `filter: "${options.filter}"` : ''}
forms:
  - name: web
    hub: tenants
    resources:
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "{{ uid }}-config", namespace: "${namespace}"${options.configLabels ? `, labels: ${options.configLabels}` : ''} }
          data: { plan: "{{ plan }}" }
      - id: app
        manifest:
          apiVersion: apps/v1
          kind: Deployment
          metadata: { name: "{{ uid }}-app", namespace: "${namespace}" }
          spec:
            replicas: ${options.replicas ?? '0'}
            paused: true
            selector: { matchLabels: { app: "{{ uid }}-app" } }
            template:
              metadata: { labels: { app: "{{ uid }}-app" } }
              spec: { containers: [{ name: web, image: "${options.image}" }] }
${
  options.withoutSide
    ? ''
    : `      - id: side
        ${options.sideRecreate ? 'recreatePolicy: OnImmutableChange' : ''}
        manifest:
          apiVersion: apps/v1
          kind: Deployment
          metadata: { name: "{{ uid }}-side", namespace: "${namespace}" }
          spec:
            replicas: 0
            paused: true
            selector: { matchLabels: { app: "{{ uid }}-${options.sideSelector}" } }
            template:
              metadata: { labels: { app: "{{ uid }}-${options.sideSelector}" } }
              spec: { containers: [{ name: side, image: "${options.image}" }] }
`
}`);

  /** No object written by rowkube's field manager or in its spec; status writes of the controllers are only counted. */
  const expectNothingWritten = (after: Map<string, ObjectWitness>) => {
    const { written, byOthers } = writesBetween(clusterBefore, after, 'rowkube');
    expect(after.size).toBe(clusterBefore.size);
    expect(written).toEqual([]);
    console.log(
      `${clusterBefore.size} objects compared; resourceVersions moved by other managers only: ${JSON.stringify(Object.fromEntries(byOthers))}`,
    );
  };

  /** Runs `rowkube plan` to its end; its exit code, stdout and everything it printed. */
  const plan = async (args: string[]) => {
    const started = Date.now();
    const process = new RowkubeProcess(['plan', ...args]);
    const code = await process.exited();
    return {
      code,
      stdout: process.stdout.join(''),
      output: process.text(),
      seconds: (Date.now() - started) / 1_000,
    };
  };

  beforeAll(async () => {
    db = await openAdminDatabase('mariadb');
    await db.exec(
      `CREATE TABLE ${table} (tenant_id VARCHAR(20) PRIMARY KEY, plan VARCHAR(20), replicas INT)`,
    );
    const rows = Array.from({ length: TENANTS }, (_, i) => {
      const uid = `t${String(i).padStart(4, '0')}`;
      return [uid, uid === UNRENDERABLE ? 'Gold Plan' : 'basic', uid === INVALID ? -1 : 0];
    });
    await db.exec(`INSERT INTO ${table} (tenant_id, plan, replicas) VALUES ?`, [rows]);
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'plan-test', force: true },
    );
    const seeded = Date.now();
    run = new RowkubeProcess(['run', '--config', config({ image: 'nginx:1.27', sideSelector: 'side' })]);
    await waitFor(
      `${TENANTS} nodes applied`,
      async () => {
        if (run?.exitCode !== null) throw new Error(`rowkube run exited:\n${run?.lastOutput(40)}`);
        const sides = await kube.list('apps/v1', 'Deployment', 'rowkube.io/resource=side', { namespace });
        return sides.length === TENANTS ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1_000 },
    );
    await run.stop();
    console.log(
      `seeding ${TENANTS} tenants through rowkube run: ${((Date.now() - seeded) / 1_000).toFixed(1)} s`,
    );
    clusterBefore = await objectWitnesses(kube, namespace, kinds);
    topicsBefore = await topicEndOffsets(kafka, prefix);
  }, 420_000);

  afterAll(async () => {
    await run?.stop();
    await kube.delete(
      { apiVersion: 'v1', kind: 'Namespace', name: namespace },
      { propagation: 'Background' },
    );
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${table}`);
    await db?.close();
    await removePipelineLeftovers(kafka, prefix);
  });

  it('reports the image of 1,000 Deployments and an immutable selector, exits 2, and writes nothing', async () => {
    const next = config({ image: 'nginx:1.28', sideSelector: 'side2', sideRecreate: true });
    const json = await plan(['--config', next, '-o', 'json']);
    console.log(`plan of ${TENANTS} nodes (json): ${json.seconds.toFixed(1)} s`);
    expect(json.code, json.output.slice(-3000)).toBe(2);
    const report = JSON.parse(json.stdout) as {
      exitCode: number;
      totals: Record<string, number>;
      forms: {
        form: string;
        fields: { kind: string; path: string; nodes: number }[];
        immutable: { node: string; resourceId: string; fields: string[]; outcome: string }[];
        objects: Record<string, number>;
      }[];
    };
    expect(report.exitCode).toBe(2);
    expect(report.totals).toEqual({ change: TENANTS, create: 0, delete: 0, unchanged: 0, error: 0 });
    const [web] = report.forms;
    expect(web?.fields).toContainEqual({
      kind: 'Deployment',
      path: 'spec.template.spec.containers[0].image',
      nodes: TENANTS,
      recreated: true,
    });
    expect(web?.immutable).toHaveLength(TENANTS);
    for (const entry of web?.immutable ?? []) {
      expect(entry.resourceId).toBe('side');
      expect(entry.fields).toContain('spec.selector');
      expect(entry.outcome).toBe('recreate');
    }
    expect(web?.objects).toEqual({ update: TENANTS, recreate: TENANTS, unchanged: TENANTS });

    const text = await plan(['--config', next]);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain(
      'form web: 1,000 to change, 0 to create, 0 to delete, 0 unchanged, 0 with errors',
    );
    expect(text.stdout).toContain('Deployment spec.template.spec.containers[0].image: 1,000 nodes');
    expect(text.stdout).toMatch(
      /web\/t0000 side Deployment\/\S+\/t0000-side: spec\.selector is immutable; would be deleted and created again \(recreatePolicy OnImmutableChange\)/,
    );

    const one = await plan(['--config', next, '--node', 'web/t0001']);
    expect(one.code).toBe(2);
    expect(one.stdout).toContain(`Deployment/${namespace}/t0001-app (app): update`);
    expect(one.stdout).toContain('spec.template.spec.containers[0].image: "nginx:1.27" → "nginx:1.28"');
    expect(one.stdout).toContain(
      `Deployment/${namespace}/t0001-side (side): recreate; immutable: spec.selector`,
    );
    expect(one.stdout).toContain('spec.selector.matchLabels.app: "t0001-side" → "t0001-side2"');

    expectNothingWritten(await objectWitnesses(kube, namespace, kinds));
    expect(snapshotDifferences(topicsBefore, await topicEndOffsets(kafka, prefix))).toEqual([]);
  }, 300_000);

  it('under recreatePolicy Never the selector change is an error (exit 1)', async () => {
    const never = await plan([
      '--config',
      config({ image: 'nginx:1.27', sideSelector: 'side2' }),
      '--node',
      'web/t0002',
    ]);
    expect(never.code, never.output.slice(-2000)).toBe(1);
    expect(never.stdout).toContain(
      `Deployment/${namespace}/t0002-side (side): immutable; immutable: spec.selector`,
    );
    expect(never.stdout).toContain('field is immutable');
  }, 120_000);

  it('lists an object the API server refuses and a node that does not render, and exits 1', async () => {
    const invalid = config({
      image: 'nginx:1.27',
      sideSelector: 'side',
      replicas: '"{{ replicas | to_int }}"',
      configLabels: '{ plan: "{{ plan }}" }',
    });
    const result = await plan(['--config', invalid]);
    expect(result.code, result.output.slice(-3000)).toBe(1);
    expect(result.stdout).toContain('validation failures (1 object):');
    expect(result.stdout).toMatch(
      new RegExp(
        `web/${INVALID} app Deployment/${namespace}/${INVALID}-app: invalid: .*spec\\.replicas: Invalid value: -1`,
      ),
    );
    expect(result.stdout).toContain('render errors (1 node):');
    expect(result.stdout).toMatch(new RegExp(`web/${UNRENDERABLE}: ROWKUBE_ERR_INVALID_NAME: .*Gold Plan`));
    // Every other node gains the plan label on its ConfigMap and nothing else.
    expect(result.stdout).toContain('ConfigMap metadata.labels.plan: 999 nodes');
  }, 300_000);

  it('finds the nodes a filter removes and the objects a removed resource prunes', async () => {
    const smaller = config({
      image: 'nginx:1.27',
      sideSelector: 'side',
      filter: "uid != 't0009'",
      withoutSide: true,
    });
    const result = await plan(['--config', smaller, '-o', 'json']);
    expect(result.code, result.output.slice(-3000)).toBe(2);
    const report = JSON.parse(result.stdout) as {
      totals: Record<string, number>;
      forms: { objects: Record<string, number>; deleted: { node: string; reason: string }[] }[];
    };
    expect(report.totals).toEqual({ change: TENANTS - 1, create: 0, delete: 1, unchanged: 0, error: 0 });
    // 999 side Deployments pruned, and the filtered node's three objects.
    expect(report.forms[0]?.objects).toEqual({ delete: TENANTS + 2, unchanged: 2 * (TENANTS - 1) });
    expect(report.forms[0]?.deleted).toEqual([{ node: 'web/t0009', reason: 'filtered' }]);
  }, 300_000);

  it('the configuration that runs plans no change and exits 0; nothing was written by any plan', async () => {
    const same = await plan([
      '--config',
      config({ image: 'nginx:1.27', sideSelector: 'side' }),
      '-o',
      'json',
    ]);
    expect(same.code, same.output.slice(-3000)).toBe(0);
    const report = JSON.parse(same.stdout) as { totals: Record<string, number> };
    expect(report.totals).toEqual({ change: 0, create: 0, delete: 0, unchanged: TENANTS, error: 0 });
    expectNothingWritten(await objectWitnesses(kube, namespace, kinds));
    expect(snapshotDifferences(topicsBefore, await topicEndOffsets(kafka, prefix))).toEqual([]);
  }, 300_000);
});
