import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Smoke test of the local stack: the control plane behaves like a cluster. A
// Deployment applied server-side is turned into a ReplicaSet and a Pod by the
// controller manager, the scheduler binds the Pod to the kwok node, kwok marks
// it Ready, and the Deployment becomes Available.
describe('local stack > Kubernetes', () => {
  const env = stackEnv();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.kubeconfig);
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const namespace = uniqueName('smoke').replaceAll('_', '-');

  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('server-side-applies a Deployment that becomes Available', async () => {
    const apply = (object: object) =>
      objects.patch(object, undefined, undefined, 'rowkube', true, PatchStrategy.ServerSideApply);

    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const deployment: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    };
    await apply(deployment);

    const available = await waitFor(
      'the Deployment to become Available',
      async () => {
        const current = await apps.readNamespacedDeployment({ name: 'web', namespace });
        const condition = current.status?.conditions?.find((c) => c.type === 'Available');
        return condition?.status === 'True' ? current : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(available.status?.availableReplicas).toBe(2);
    expect(available.metadata?.managedFields?.some((f) => f.manager === 'rowkube')).toBe(true);

    // Applying the same object again is a no-op: the resourceVersion does not move.
    const before = available.metadata?.resourceVersion;
    await apply(deployment);
    const after = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(after.metadata?.resourceVersion).toBe(before);
  });
});
