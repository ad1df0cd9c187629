import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/cli/load-config.js';
import { KubeApiError, KubeClient, type KubeObject } from '../../src/sink/kube/index.js';
import { CHART_DIR, FULL_VALUES, renderChart, runHelm, templateArgs } from '../../support/helm-chart.js';
import { deleteNamespaces } from '../../support/sink-harness.js';
import { monitoringCrdsDir, stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// The Helm chart (deploy/helm/rowkube) against the real apiserver of the local
// stack: helm lint passes with the default values and with every option on,
// and everything `helm template` renders is accepted by a server-side dry run
// (the apiserver's own validation, defaulting and admission), the
// ServiceMonitor and PrometheusRule against the prometheus-operator CRDs. The
// pod the Deployment would create passes the "restricted" Pod Security
// Standard, enforced by the apiserver's admission on a dry-run Pod.

const env = stackEnv({ needs: ['KUBECONFIG', 'HELM'], what: 'the chart test' });
const FIELD_MANAGER = 'rowkube-chart-test';
const MONITORING_CRDS = [
  'monitoring.coreos.com_servicemonitors.yaml',
  'monitoring.coreos.com_prometheusrules.yaml',
];

const dnsName = (prefix: string) => uniqueName(prefix).replaceAll('_', '-');

describe('helm chart > lint, and a server-side dry run of everything it renders', () => {
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  // Namespaces of this run: the release's, and one for the namespaced RBAC rules.
  const prefix = dnsName('helm');
  const namespace = `${prefix}-rel`;
  const tenantNamespace = `${prefix}-tenant`;
  const release = 'rk';

  beforeAll(async () => {
    await installMonitoringCrds(kube);
    for (const name of [namespace, tenantNamespace])
      await kube.apply(
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          // The restricted Pod Security Standard is enforced here: the dry-run Pod below must pass it.
          metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
        },
        { fieldManager: FIELD_MANAGER, force: true },
      );
  });

  afterAll(async () => {
    await deleteNamespaces(kube, prefix);
  });

  it('helm lint passes with the default values and with every option on', async () => {
    for (const valuesArgs of [[], ['-f', FULL_VALUES]]) {
      const result = await runHelm(env.helm, ['lint', '--strict', CHART_DIR, ...valuesArgs]);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout).toContain('0 chart(s) failed');
    }
  });

  it('the apiserver accepts every object rendered with every option on (dryRun=All)', async () => {
    const objects = await renderFull();
    expect(kinds(objects)).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Role',
      'Role',
      'RoleBinding',
      'RoleBinding',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    const rejected: string[] = [];
    for (const object of objects) {
      try {
        await kube.apply(object, { fieldManager: FIELD_MANAGER, force: true, dryRun: true });
      } catch (error) {
        rejected.push(`${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
      }
    }
    expect(rejected).toEqual([]);
  });

  it("the Deployment's pod passes the restricted Pod Security Standard, probes on the metrics port", async () => {
    const objects = await renderFull();
    const deployment = only(objects, 'Deployment') as KubeObject & { spec: { template: PodTemplate } };
    const pod = deployment.spec.template;
    const [container] = pod.spec.containers;
    expect(container?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container?.args).toEqual(['run', '--config', '/etc/rowkube/rowkube.yaml']);
    expect(container?.ports).toEqual([{ name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(pod.spec.serviceAccountName).toBe(only(objects, 'ServiceAccount').metadata.name);

    // The config the probes depend on: the server listens on all addresses, on the metrics port.
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${release}-rowkube`);
    const text = (configMap as unknown as { data: Record<string, string> }).data['rowkube.yaml'] ?? '';
    expect(parse(text).observability).toEqual({ host: '0.0.0.0', port: 9464 });
    // …and rowkube accepts the file as the chart renders it.
    const config = parseConfig(text, '/etc/rowkube/rowkube.yaml', {
      KAFKA_BROKERS: 'kafka:9092',
      PG_URL: 'postgres://u@db/app',
    });
    expect(config.leaderElection.enabled).toBe(true);
    expect(config.observability.host).toBe('0.0.0.0');

    // Admission decides, not this test's idea of "restricted": a dry-run Pod in
    // a namespace that enforces the restricted standard.
    const podObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: dnsName('pod'), namespace, labels: pod.metadata.labels },
      spec: pod.spec,
    } as KubeObject;
    await kube.apply(podObject, { fieldManager: FIELD_MANAGER, force: true, dryRun: true });
    // …and the same standard refuses a pod without it, so the check above has teeth.
    const [first] = pod.spec.containers;
    const loose = { ...podObject, spec: { ...pod.spec, containers: [{ ...first, securityContext: {} }] } };
    const refused = await kube
      .apply(loose as KubeObject, { fieldManager: FIELD_MANAGER, force: true, dryRun: true })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(KubeApiError);
    expect(String((refused as Error).message)).toMatch(/restricted/);
  });

  it('RBAC: nothing is rendered for empty rule lists, one Role and RoleBinding per namespaced entry', async () => {
    const defaults = await renderChart(env.helm, { release, namespace });
    expect(kinds(defaults).filter((kind) => kind.includes('Role'))).toEqual(['Role', 'RoleBinding']);
    const leaseRole = only(defaults, 'Role') as KubeObject & { rules: unknown };
    expect(leaseRole.metadata).toMatchObject({ name: `${release}-rowkube-leases`, namespace });
    expect(leaseRole.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    ]);

    const none = await renderChart(env.helm, {
      release,
      namespace,
      set: { 'rbac.leaseRules': [], 'serviceAccount.create': false, 'serviceAccount.name': 'existing' },
    });
    expect(kinds(none).filter((kind) => kind.includes('Role') || kind === 'ServiceAccount')).toEqual([]);
    expect(
      (only(none, 'Deployment') as KubeObject & { spec: { template: PodTemplate } }).spec.template.spec
        .serviceAccountName,
    ).toBe('existing');

    // The Leases' namespace follows the config's leaderElection.namespace unless rbac.leaseNamespace says otherwise.
    const elsewhere = await renderChart(env.helm, {
      release,
      namespace,
      set: { 'config.leaderElection': { enabled: true, namespace: tenantNamespace } },
    });
    expect(only(elsewhere, 'Role').metadata.namespace).toBe(tenantNamespace);

    const objects = await renderFull();
    // Cluster-scoped: named after the release's namespace too, so two releases of one name do not collide.
    expect(only(objects, 'ClusterRole').metadata.name).toBe(`${release}-rowkube-${namespace}`);
    const binding = objects.find(
      (o) => o.kind === 'RoleBinding' && o.metadata.namespace === tenantNamespace,
    ) as KubeObject & { subjects: unknown; roleRef: unknown };
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: `${release}-rowkube`, namespace }]);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: `${release}-rowkube`,
    });
  });

  it('values.schema.json refuses a bad value with a message naming it', async () => {
    const bad = await runHelm(env.helm, [...templateArgs({ release, namespace }), '--set', 'replicaCount=x']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("at '/replicaCount': got string, want integer");
    const badRule = await runHelm(
      env.helm,
      templateArgs({
        release,
        namespace,
        set: { 'rbac.clusterRules': [{ apiGroups: [''], resources: ['pods'] }] },
      }),
    );
    expect(badRule.code).not.toBe(0);
    expect(badRule.stderr).toContain("at '/rbac/clusterRules/0': missing property 'verbs'");
  });

  it("node's heap limit follows the memory limit (heapLimitPercent), unless extraEnv sets NODE_OPTIONS", async () => {
    const nodeOptions = async (set: Record<string, unknown>, valuesFiles: string[] = []) => {
      const objects = await renderChart(env.helm, { release, namespace, valuesFiles, set });
      const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
        spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
      };
      const vars = deployment.spec.template.spec.containers[0]?.env ?? [];
      return vars.filter((v) => v.name === 'NODE_OPTIONS').map((v) => v.value);
    };
    expect(await nodeOptions({})).toEqual(['--max-old-space-size=384']);
    expect(await nodeOptions({ 'resources.limits.memory': '2Gi' })).toEqual(['--max-old-space-size=1536']);
    expect(await nodeOptions({ 'resources.limits.memory': '1G', heapLimitPercent: 50 })).toEqual([
      '--max-old-space-size=476',
    ]);
    expect(await nodeOptions({ heapLimitPercent: 0 })).toEqual([]);
    // A form the chart does not read: node's own default.
    expect(await nodeOptions({ 'resources.limits.memory': '1.5Gi' })).toEqual([]);
    // extraEnv's NODE_OPTIONS is the only one.
    expect(await nodeOptions({}, [FULL_VALUES])).toEqual(['--max-old-space-size=384']);
  });

  function renderFull(): Promise<KubeObject[]> {
    return renderChart(env.helm, {
      release,
      namespace,
      valuesFiles: [FULL_VALUES],
      set: {
        'rbac.namespacedRules': [
          {
            namespace: tenantNamespace,
            rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] }],
          },
        ],
      },
    });
  }
});

interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    serviceAccountName: string;
    containers: {
      args?: string[];
      ports?: unknown[];
      securityContext?: unknown;
      livenessProbe?: { httpGet?: unknown };
      readinessProbe?: { httpGet?: unknown };
    }[];
  };
}

function kinds(objects: readonly KubeObject[]): string[] {
  return objects.map((o) => o.kind).sort();
}

function only(objects: readonly KubeObject[], kind: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
  return found[0] as KubeObject;
}

/**
 * The ServiceMonitor and PrometheusRule CRDs, really applied (cluster-scoped,
 * shared by every run; applying again changes nothing), then waited for until
 * the apiserver serves them.
 */
async function installMonitoringCrds(kube: KubeClient): Promise<void> {
  const dir = monitoringCrdsDir();
  for (const file of MONITORING_CRDS) {
    const crd = parse(readFileSync(join(dir, file), 'utf8')) as KubeObject;
    await kube.apply(crd, { fieldManager: FIELD_MANAGER, force: true });
    await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
      const live = (await kube.get({
        apiVersion: crd.apiVersion,
        kind: crd.kind,
        name: crd.metadata.name ?? '',
      })) as (KubeObject & { status?: { conditions?: { type: string; status: string }[] } }) | undefined;
      return live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    });
  }
}
