import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutCommand } from '../../src/cli/commands/rollout.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import { FORM_VERSION_ANNOTATION, type NodeStatus } from '../../src/contracts/index.js';
import { createKafka, StatusView } from '../../src/kafka/index.js';
import type { KubeObject } from '../../src/sink/kube/index.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import { type AdminDatabase, openAdminDatabase, sourceKey } from '../../support/admin-database.js';
import { AuditFollower } from '../../support/audit-follower.js';
import { writeConfigFile } from '../../support/config-file.js';
import { readDesired } from '../../support/desired-records.js';
import { tenantIds, tenantValues } from '../../support/held-deletions.js';
import { inProgressIntervals, maxOverlap } from '../../support/rollout-intervals.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// A progressive rollout through `rowkube run` (capture, process, apply in one
// process) on 200 tenants, one Deployment each, maxInProgress 10. A new form
// version reaches the processor as a restart with the new configuration:
//   v2 (another image) rolls out with at most 10 nodes in progress at once;
//   v3 (pods that never become Ready) pauses after failureThreshold failures,
//      the other tenants untouched; a tenant's own row update still applies
//      at once; `rowkube rollout abort` brings the changed nodes back to v2.

const env = stackEnv();
const TENANTS = 200;
const MAX_IN_PROGRESS = 10;
const FAILURE_THRESHOLD = 3;

describe('processor > progressive rollout of form changes (rowkube run, 200 tenants)', () => {
  const table = uniqueName('rollout_tenants');
  const prefix = uniqueName('rkroll');
  const namespace = uniqueName('rollout').replaceAll('_', '-');
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const audit = new AuditFollower(kafka, prefix);
  const ids = tenantIds(1, TENANTS);
  let db: AdminDatabase;
  let configPath: string;
  let rowkube: RowkubeProcess | undefined;
  let statuses: StatusView | undefined;

  /** The configuration of a form version: v1 and v2 differ by image; v3's pods can never be scheduled. */
  function writeVersion(version: 1 | 2 | 3): void {
    const failing = version === 3;
    writeFileSync(
      configPath,
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
kubernetes:
  kubeconfig: ${env.kubeconfig}
  allowedNamespaces: ["${namespace}"]
sources:
  - name: appdb
    ${sourceKey('mariadb')}: { url: "${db.captureUrl}" }
    tables: [${table}]
hubs:
  - name: tenants
    source: appdb
    table: ${table}
    uid: tenant_id
    activate: active
    values: { plan: plan }
forms:
  - name: web
    hub: tenants
    rollout: { maxInProgress: ${MAX_IN_PROGRESS}, failureThreshold: ${FAILURE_THRESHOLD} }
    resources:
      - id: app
${failing ? '        waitForReady: true\n        timeoutSeconds: 3\n' : ''}        manifest:
          apiVersion: apps/v1
          kind: Deployment
          metadata: { name: "web-{{ uid }}", namespace: "${namespace}", annotations: { plan: "{{ plan }}" } }
          spec:
            replicas: ${failing ? 1 : 0}
            selector: { matchLabels: { app: "web-{{ uid }}" } }
            template:
              metadata: { labels: { app: "web-{{ uid }}" } }
              spec:
                containers: [{ name: web, image: "example.com/web:${version}" }]
${failing ? "                nodeSelector: { 'example.com/no-such-node': 'true' }\n" : ''}`,
    );
  }

  async function restart(version: 1 | 2 | 3): Promise<void> {
    await rowkube?.stop();
    writeVersion(version);
    rowkube = new RowkubeProcess(['run', '--config', configPath]);
  }

  const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000) =>
    waitFor(
      what,
      async () => {
        if (rowkube !== undefined && rowkube.exitCode !== null)
          throw new Error(`rowkube run exited:\n${rowkube.lastOutput(40)}`);
        return probe();
      },
      { timeoutMs, intervalMs: 250 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nrowkube run said:\n${rowkube?.lastOutput(30)}`);
    });

  const deployments = async (): Promise<Map<string, KubeObject>> => {
    const items = await kube.list('apps/v1', 'Deployment', 'app.kubernetes.io/managed-by=rowkube', {
      namespace,
    });
    return new Map(items.map((item) => [item.metadata.name as string, item]));
  };
  const versionOf = (object: KubeObject | undefined) =>
    object?.metadata.annotations?.[FORM_VERSION_ANNOTATION];
  const nodeStatuses = (): NodeStatus[] => (statuses?.list() ?? []).filter((s) => s.form === 'web');
  const readyOn = (version: string | undefined) =>
    nodeStatuses().filter((s) => s.state === 'Ready' && s.formVersion === version).length;
  const auditActions = (action: string) => audit.events.filter((event) => event.action === action);
  const capture = () => {
    const chunks: string[] = [];
    return {
      out: new Writable({ write: (c, _e, done) => done(void chunks.push(String(c))) }),
      text: () => chunks.join(''),
    };
  };

  let v1: string | undefined;
  let v2: string | undefined;

  beforeAll(async () => {
    db = await openAdminDatabase('mariadb');
    await db.exec(
      `CREATE TABLE ${table} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20), active BOOLEAN)`,
    );
    await db.exec(`INSERT INTO ${table} VALUES ${tenantValues(ids)}`);
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'test-setup', force: true },
    );
    configPath = writeConfigFile('{}');
    await restart(1);
    statuses = await StatusView.open({ kafka, prefix, waitForTopic: true });
    await until('200 nodes Ready on v1', () =>
      readyOn(nodeStatuses()[0]?.formVersion ?? undefined) === TENANTS ? true : undefined,
    );
    v1 = nodeStatuses()[0]?.formVersion ?? undefined;
    expect(v1).toMatch(/^[0-9a-f]{16}$/);
    await audit.follow({ waitForTopicMs: 30_000 });
  }, 150_000);

  afterAll(async () => {
    await rowkube?.stop().catch(() => undefined);
    await statuses?.close().catch(() => undefined);
    await audit.close().catch(() => undefined);
    await kube
      .delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }, { propagation: 'Background' })
      .catch(() => undefined);
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await db?.close().catch(() => undefined);
  }, 90_000);

  it('rolls a new form version out with at most maxInProgress nodes in progress at once', async () => {
    await restart(2);
    await until(
      'the rollout to complete',
      () => (auditActions('rollout_complete').length > 0 ? true : undefined),
      150_000,
    );
    const started = auditActions('rollout_started')[0];
    expect(started).toMatchObject({ nodeId: 'rollout/web', form: 'web', object: null });
    v2 = nodeStatuses().find((s) => s.formVersion !== v1)?.formVersion ?? undefined;
    expect(started?.reason).toContain(`${v1} → ${v2}`);
    await until('200 nodes Ready on v2', () => (readyOn(v2) === TENANTS ? true : undefined));
    const intervals = inProgressIntervals(await readDesired(kafka, prefix), nodeStatuses(), v2 as string);
    expect(intervals).toHaveLength(TENANTS);
    const most = maxOverlap(intervals);
    expect(most).toBeLessThanOrEqual(MAX_IN_PROGRESS);
    // Nodes did change side by side, not one by one.
    expect(most).toBeGreaterThan(1);
    const objects = await deployments();
    expect(objects.size).toBe(TENANTS);
    for (const object of objects.values()) {
      expect(versionOf(object), object.metadata.name).toBe(v2);
      const spec = object.spec as { template: { spec: { containers: { image: string }[] } } };
      expect(spec.template.spec.containers[0]?.image).toBe('example.com/web:2');
    }
    const status = capture();
    expect(
      await rolloutCommand(
        { kind: 'rollout', action: 'status', config: configPath, form: 'web', waitSeconds: 0 },
        status.out,
      ),
    ).toBe(0);
    expect(status.text()).toContain(`form web: complete ${v1} → ${v2}`);
  }, 200_000);

  it('pauses a version whose pods never become Ready after failureThreshold failures, other tenants untouched', async () => {
    // The Deployment controller writes status for a while after a change:
    // compare from when no resourceVersion moves any more.
    let previous = new Map<string, string | undefined>();
    const before = await until('the Deployments to settle', async () => {
      const objects = await deployments();
      const versions = new Map([...objects].map(([name, object]) => [name, object.metadata.resourceVersion]));
      const settled = [...versions].every(([name, version]) => previous.get(name) === version);
      previous = versions;
      if (!settled) await new Promise((resolve) => setTimeout(resolve, 1_000));
      return settled ? objects : undefined;
    });
    await restart(3);
    await until(
      'the rollout to pause',
      () => (auditActions('rollout_paused').length > 0 ? true : undefined),
      120_000,
    );
    const paused = auditActions('rollout_paused')[0];
    expect(paused?.reason).toMatch(
      new RegExp(`failed on version [0-9a-f]{16} \\(failureThreshold ${FAILURE_THRESHOLD}\\)`),
    );
    // Give the processor time to (wrongly) admit more; nothing more changes.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await deployments();
    const changed = [...after.values()].filter((object) => versionOf(object) !== v2);
    expect(changed.length).toBeGreaterThanOrEqual(FAILURE_THRESHOLD);
    // A failed node frees its slot (docs/rollout.md): until the pause, each of
    // the first failureThreshold - 1 failures may let one more node in.
    expect(changed.length).toBeLessThanOrEqual(MAX_IN_PROGRESS + FAILURE_THRESHOLD - 1);
    for (const [name, object] of after) {
      if (versionOf(object) !== v2) continue;
      const managed = JSON.stringify(
        object.metadata.managedFields?.map((f) => [f.manager, f.operation, f.time]),
      );
      expect(object.metadata.resourceVersion, `${name} ${managed}`).toBe(
        before.get(name)?.metadata.resourceVersion,
      );
    }
    const failed = nodeStatuses().filter((s) => s.state === 'Failed');
    expect(failed.length).toBeGreaterThanOrEqual(FAILURE_THRESHOLD);
    // Visible in `rowkube rollout status` (exit 3: needs a person) and `rowkube status`.
    const rolloutOut = capture();
    expect(
      await rolloutCommand(
        { kind: 'rollout', action: 'status', config: configPath, form: 'web', waitSeconds: 0 },
        rolloutOut.out,
      ),
    ).toBe(3);
    expect(rolloutOut.text()).toMatch(/form web: paused .* → [0-9a-f]{16} .*failed [1-9]/);
    const statusOut = capture();
    await statusCommand(
      { kind: 'status', config: configPath, failed: false, output: 'table', watch: false },
      statusOut.out,
    );
    expect(statusOut.text()).toMatch(/form web: paused/);
  }, 180_000);

  it("applies a tenant's own row update at once while the rollout is paused", async () => {
    const objects = await deployments();
    const pending = [...objects.values()].find((object) => versionOf(object) === v2);
    const uid = (pending?.metadata.name ?? '').replace(/^web-/, '');
    const started = Date.now();
    await db.exec(`UPDATE ${table} SET plan = 'platinum' WHERE tenant_id = '${uid}'`);
    const updated = await until(
      `${uid}'s plan applied`,
      async () => {
        const object = await kube.get({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace,
          name: `web-${uid}`,
        });
        return object?.metadata.annotations?.plan === 'platinum' ? object : undefined;
      },
      15_000,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    // Rendered with the version its node is on; the rollout is still paused.
    expect(versionOf(updated)).toBe(v2);
    expect(auditActions('rollout_aborted')).toHaveLength(0);
    expect(auditActions('rollout_resumed')).toHaveLength(0);
  }, 60_000);

  it("'rowkube rollout abort' brings the changed nodes back to the previous version", async () => {
    const out = capture();
    expect(
      await rolloutCommand(
        { kind: 'rollout', action: 'abort', config: configPath, form: 'web', waitSeconds: 30 },
        out.out,
      ),
    ).toBe(0);
    expect(out.text()).toContain('form web: aborted');
    await until('every Deployment back on v2', async () => {
      const objects = await deployments();
      return [...objects.values()].every((object) => versionOf(object) === v2) ? objects : undefined;
    });
    for (const object of (await deployments()).values()) {
      const spec = object.spec as { replicas: number; template: { spec: { nodeSelector?: object } } };
      expect(spec.replicas, object.metadata.name).toBe(0);
      expect(spec.template.spec.nodeSelector).toBeUndefined();
    }
    await until('every node Ready on v2', () => (readyOn(v2) === TENANTS ? true : undefined));
    expect(auditActions('rollout_aborted')).toHaveLength(1);
  }, 120_000);
});
