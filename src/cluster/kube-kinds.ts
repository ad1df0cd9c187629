// The kinds forms commonly create, with the resource name RBAC rules use (the
// URL plural) and their scope, so that `rowkube rbac` works without a
// cluster. A kind missing here gets a guessed plural, and says so; with
// `--kubeconfig` the API server's discovery answers instead.

/** How RBAC names a kind: its API group, URL plural and scope. */
export interface KindResource {
  /** The API group, '' for the core group (`v1`). */
  group: string;
  plural: string;
  namespaced: boolean;
  /** false: the plural and scope are a guess (an unknown kind, e.g. a custom resource). */
  known: boolean;
}

const CLUSTER = false;
const NAMESPACED = true;

/** `group/Kind` → [plural, namespaced]. */
const KINDS: ReadonlyMap<string, readonly [string, boolean]> = new Map([
  ['/ConfigMap', ['configmaps', NAMESPACED]],
  ['/Secret', ['secrets', NAMESPACED]],
  ['/Service', ['services', NAMESPACED]],
  ['/ServiceAccount', ['serviceaccounts', NAMESPACED]],
  ['/Pod', ['pods', NAMESPACED]],
  ['/PersistentVolumeClaim', ['persistentvolumeclaims', NAMESPACED]],
  ['/Endpoints', ['endpoints', NAMESPACED]],
  ['/LimitRange', ['limitranges', NAMESPACED]],
  ['/ResourceQuota', ['resourcequotas', NAMESPACED]],
  ['/Namespace', ['namespaces', CLUSTER]],
  ['/PersistentVolume', ['persistentvolumes', CLUSTER]],
  ['apps/Deployment', ['deployments', NAMESPACED]],
  ['apps/StatefulSet', ['statefulsets', NAMESPACED]],
  ['apps/DaemonSet', ['daemonsets', NAMESPACED]],
  ['apps/ReplicaSet', ['replicasets', NAMESPACED]],
  ['batch/Job', ['jobs', NAMESPACED]],
  ['batch/CronJob', ['cronjobs', NAMESPACED]],
  ['networking.k8s.io/Ingress', ['ingresses', NAMESPACED]],
  ['networking.k8s.io/NetworkPolicy', ['networkpolicies', NAMESPACED]],
  ['networking.k8s.io/IngressClass', ['ingressclasses', CLUSTER]],
  ['policy/PodDisruptionBudget', ['poddisruptionbudgets', NAMESPACED]],
  ['autoscaling/HorizontalPodAutoscaler', ['horizontalpodautoscalers', NAMESPACED]],
  ['rbac.authorization.k8s.io/Role', ['roles', NAMESPACED]],
  ['rbac.authorization.k8s.io/RoleBinding', ['rolebindings', NAMESPACED]],
  ['rbac.authorization.k8s.io/ClusterRole', ['clusterroles', CLUSTER]],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', ['clusterrolebindings', CLUSTER]],
  ['coordination.k8s.io/Lease', ['leases', NAMESPACED]],
  ['storage.k8s.io/StorageClass', ['storageclasses', CLUSTER]],
  ['scheduling.k8s.io/PriorityClass', ['priorityclasses', CLUSTER]],
  ['apiextensions.k8s.io/CustomResourceDefinition', ['customresourcedefinitions', CLUSTER]],
  ['gateway.networking.k8s.io/Gateway', ['gateways', NAMESPACED]],
  ['gateway.networking.k8s.io/HTTPRoute', ['httproutes', NAMESPACED]],
]);

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → '' (core). */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The resource of a kind from the built-in table; otherwise a guess as the
 * API server's own default plural goes (lowercase, `-s`, `-es` after a
 * sibilant, `-ies` after a consonant and `y`), namespaced, with known false.
 */
export function builtInKind(apiVersion: string, kind: string): KindResource {
  const group = apiGroupOf(apiVersion);
  const entry = KINDS.get(`${group}/${kind}`);
  if (entry !== undefined) return { group, plural: entry[0], namespaced: entry[1], known: true };
  return { group, plural: guessPlural(kind), namespaced: true, known: false };
}

export function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}
