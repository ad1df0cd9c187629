import { apiGroupOf } from './api-group.js';

// The order in which a node's kinds are applied, like Flux's and Lynq's: what
// other objects need to exist (a Namespace, a CRD, the quota that admission
// checks, the ServiceAccount and ConfigMaps a Pod mounts, the RBAC it runs
// with) comes before the workloads, and what only routes to workloads comes
// after them. Deletion runs the other way round.

/** One step of the order: kinds that may be applied together, with the groups they are built in to. */
interface KindTier {
  readonly kinds: Readonly<Record<string, readonly string[]>>;
}

// extensions/* is where Deployments, DaemonSets, ReplicaSets, Ingresses and
// NetworkPolicies lived before their own groups; old manifests still name it.
const KIND_TIERS: readonly KindTier[] = [
  { kinds: { Namespace: [''] } },
  { kinds: { CustomResourceDefinition: ['apiextensions.k8s.io'] } },
  { kinds: { ResourceQuota: [''], LimitRange: [''], PriorityClass: ['scheduling.k8s.io'] } },
  { kinds: { ServiceAccount: [''] } },
  { kinds: { Secret: [''] } },
  { kinds: { ConfigMap: [''] } },
  { kinds: { StorageClass: ['storage.k8s.io'], PersistentVolume: [''], PersistentVolumeClaim: [''] } },
  { kinds: { ClusterRole: ['rbac.authorization.k8s.io'], Role: ['rbac.authorization.k8s.io'] } },
  {
    kinds: {
      ClusterRoleBinding: ['rbac.authorization.k8s.io'],
      RoleBinding: ['rbac.authorization.k8s.io'],
    },
  },
  {
    kinds: {
      Deployment: ['apps', 'extensions'],
      StatefulSet: ['apps'],
      DaemonSet: ['apps', 'extensions'],
      ReplicaSet: ['apps', 'extensions'],
      Pod: [''],
      Job: ['batch'],
      CronJob: ['batch'],
      HorizontalPodAutoscaler: ['autoscaling'],
      PodDisruptionBudget: ['policy'],
    },
  },
  { kinds: { Service: [''] } },
  { kinds: { Endpoints: [''], EndpointSlice: ['discovery.k8s.io'] } },
  {
    kinds: {
      Ingress: ['networking.k8s.io', 'extensions'],
      IngressClass: ['networking.k8s.io'],
      NetworkPolicy: ['networking.k8s.io', 'extensions'],
    },
  },
];

/**
 * The tier of every kind that is not built in — custom resources, and
 * anything else the table does not know: last, after the CRDs that define
 * them and the workloads (operators) that serve them.
 */
export const CUSTOM_RESOURCE_TIER = KIND_TIERS.length;

/**
 * Where a kind goes in the apply order: a lower tier is applied first and
 * deleted last; kinds of one tier have no order among themselves.
 *
 * With an apiVersion, a kind only counts as built in when its group is the
 * built-in one, so a custom resource that happens to be called "Service"
 * (Knative's) is ordered like the custom resource it is. Without one, the kind
 * alone decides.
 */
export function kindTier(kind: string, apiVersion?: string): number {
  const group = apiVersion === undefined ? undefined : apiGroupOf(apiVersion);
  const tier = KIND_TIERS.findIndex(({ kinds }) => {
    const groups = Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
    return groups !== undefined && (group === undefined || groups.includes(group));
  });
  return tier < 0 ? CUSTOM_RESOURCE_TIER : tier;
}
