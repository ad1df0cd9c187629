import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sink/kube/index.js';
import { startUseCase, type UseCaseRun } from '../../../support/use-case-run.js';

// examples/use-cases/namespace-isolation on MariaDB
// (docs/use-cases/namespace-isolation.md): each tenant's Namespace with a
// default-deny NetworkPolicy, a ResourceQuota and LimitRange sized by its
// plan (the LimitRange's defaults seen on a pod the apiserver admits), and a
// RoleBinding for its team; a plan change resizes them, a team change
// re-binds, a deleted row takes the Namespace away.
describe('use cases > namespace isolation', () => {
  let run: UseCaseRun;

  const get = (apiVersion: string, kind: string, name: string, uid = 'acme') =>
    run.kube.get({ apiVersion, kind, namespace: run.tenantNamespace(uid), name });
  const quota = async (uid = 'acme') =>
    (
      (await get('v1', 'ResourceQuota', 'tenant-quota', uid))?.spec as
        | { hard: Record<string, string> }
        | undefined
    )?.hard;
  const containerLimits = async (uid = 'acme') =>
    (
      (await get('v1', 'LimitRange', 'tenant-limits', uid))?.spec as
        | { limits: { type: string; default: Record<string, string>; max: Record<string, string> }[] }
        | undefined
    )?.limits[0];
  const subjects = async () =>
    (await get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'team-edit'))?.subjects as
      | { kind: string; name: string }[]
      | undefined;

  beforeAll(async () => {
    run = await startUseCase({ example: 'namespace-isolation', kind: 'mariadb' });
  });

  afterAll(async () => {
    await run?.stop();
  });

  it('each tenant gets its Namespace, deny-by-default network, the quota and limits of its plan, its team’s binding', async () => {
    const hard = await run.until('acme ResourceQuota', () => quota());
    expect(hard).toEqual({
      'requests.cpu': '4',
      'requests.memory': '16Gi',
      'limits.cpu': '8',
      'limits.memory': '32Gi',
      pods: '50',
      persistentvolumeclaims: '10',
    });
    expect((await run.until('globex ResourceQuota', () => quota('globex')))?.pods).toBe('10');

    const namespace = await run.kube.get({
      apiVersion: 'v1',
      kind: 'Namespace',
      name: run.tenantNamespace('acme'),
    });
    expect(namespace?.metadata.labels).toMatchObject({
      tenant: 'acme',
      plan: 'pro',
      'pod-security.kubernetes.io/enforce': 'baseline',
    });
    const deny = await run.until('acme default-deny', () =>
      get('networking.k8s.io/v1', 'NetworkPolicy', 'default-deny'),
    );
    // No ingress or egress rule: nothing is allowed by this policy.
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(
      await run.until('acme allow policy', () =>
        get('networking.k8s.io/v1', 'NetworkPolicy', 'allow-same-namespace-and-dns'),
      ),
    ).toBeDefined();

    expect(await run.until('acme LimitRange', () => containerLimits())).toMatchObject({
      type: 'Container',
      default: { cpu: '1', memory: '1Gi' },
      max: { cpu: '4', memory: '8Gi' },
    });
    const binding = await run.until('acme RoleBinding', () =>
      get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'team-edit'),
    );
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'edit',
    });
    expect(binding.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'acme-developers' },
    ]);
  });

  it('a pod that sets no resources gets the plan’s defaults from the LimitRange', async () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe', namespace: run.tenantNamespace('acme') },
      spec: { containers: [{ name: 'probe', image: 'busybox:1.36' }] },
    };
    const created = await run.kube.apply(pod, { fieldManager: 'use-case-test', force: true });
    expect((created.spec as { containers: { resources: unknown }[] }).containers[0]?.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '1', memory: '1Gi' },
    });
  });

  it('a plan change resizes quota and limits; a team change re-binds the role', async () => {
    await run.db.exec(
      `UPDATE tenants SET plan = 'enterprise', team_group = 'acme-platform' WHERE tenant_id = 'acme'`,
    );
    await run.until('acme quota at enterprise size', async () =>
      (await quota())?.['requests.cpu'] === '16' ? true : undefined,
    );
    expect(await quota()).toMatchObject({ 'limits.memory': '128Gi', pods: '200' });
    expect(await containerLimits()).toMatchObject({
      default: { cpu: '2', memory: '4Gi' },
      max: { cpu: '8' },
    });
    await run.until('acme RoleBinding for acme-platform', async () =>
      (await subjects())?.[0]?.name === 'acme-platform' ? true : undefined,
    );
    expect(await subjects()).toHaveLength(1);
  });

  it('deleting the row deletes the Namespace', async () => {
    await run.db.exec(`DELETE FROM tenants WHERE tenant_id = 'acme'`);
    await run.until('acme Namespace gone or going', async () => {
      const namespace = await run.kube.get({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: run.tenantNamespace('acme'),
      });
      return namespace === undefined || namespace.metadata.deletionTimestamp !== undefined ? true : undefined;
    });
    expect(await quota('globex')).toBeDefined();
  });
});
