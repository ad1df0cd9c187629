import type { KubeObject } from '../../src/sink/kube/index.js';
import { BENCH_HUB } from './bench-config.js';

// bench:rollout's form: one Deployment per tenant (waited for),
// whose image is the form's own constant, so that changing the form — not a
// row — changes every tenant's object. All of them in the run's namespace
// (sink-namespaces.ts says why not one per tenant).

export const ROLLOUT_FORM = 'rollout';
/** Label every Deployment of the form carries, for the bench's watch. */
export const ROLLOUT_SELECTOR = 'app.kubernetes.io/name=rollout-tenant';

/** forms[].rollout as the configuration takes it. */
export interface RolloutSettings {
  maxInProgress: number;
}

export interface RolloutFormOptions {
  /** Pods per Deployment. */
  replicas: number;
  /** forms[].rollout: how many nodes may change at once; none: no limit. */
  rollout?: RolloutSettings;
  /**
   * spec.paused: the controller only records that it saw the object (one
   * status write) instead of rolling it out: the floor's objects, so that
   * their rollout does not keep the controller manager busy during the
   * pipeline's phases.
   */
  paused?: boolean;
}

/** The run's forms with `image` in every tenant's Deployment. */
export function rolloutForms(
  namespace: string,
  image: string,
  { replicas, rollout, paused = false }: RolloutFormOptions,
): object[] {
  return [
    {
      name: ROLLOUT_FORM,
      hub: BENCH_HUB,
      ...(rollout === undefined ? {} : { rollout }),
      resources: [
        {
          id: 'app',
          waitForReady: true,
          timeoutSeconds: 600,
          manifest: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: {
              name: '{{ uid }}-web',
              namespace,
              labels: { 'app.kubernetes.io/name': 'rollout-tenant', tenant: '{{ uid }}' },
            },
            spec: {
              replicas,
              ...(paused ? { paused: true } : {}),
              selector: { matchLabels: { tenant: '{{ uid }}' } },
              template: {
                metadata: { labels: { tenant: '{{ uid }}' } },
                spec: { containers: [{ name: 'web', image }] },
              },
            },
          },
        },
      ],
    },
  ];
}

/** The image of a Deployment's first container. */
export function imageOf(object: KubeObject): string | undefined {
  const spec = object.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined;
  return spec?.template?.spec?.containers?.[0]?.image;
}

/**
 * The Deployment runs `image` everywhere: the controller saw the change
 * (observedGeneration), and every replica is updated and available.
 */
export function rolledOut(object: KubeObject, image: string): boolean {
  if (imageOf(object) !== image) return false;
  const spec = object.spec as { replicas?: number } | undefined;
  const status = object.status as
    | { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number }
    | undefined;
  const replicas = spec?.replicas ?? 1;
  return (
    (status?.observedGeneration ?? 0) >= (object.metadata.generation ?? 1) &&
    (status?.updatedReplicas ?? 0) === replicas &&
    (status?.availableReplicas ?? 0) === replicas &&
    (status?.replicas ?? 0) === replicas
  );
}

/** The controller has seen the Deployment's latest spec (a paused one is never rolled out). */
export function observed(object: KubeObject, image: string): boolean {
  const status = object.status as { observedGeneration?: number } | undefined;
  return imageOf(object) === image && (status?.observedGeneration ?? 0) >= (object.metadata.generation ?? 1);
}
