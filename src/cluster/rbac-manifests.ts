import type { RbacPlan, RbacValues } from './rbac-rules.js';

// The rules of `rowkube rbac` as plain RBAC objects bound to one
// ServiceAccount (`-o manifests`), for kubectl users without the Helm chart.
// The chart's rbac.yaml makes the same objects from the same values.

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

const RBAC = 'rbac.authorization.k8s.io/v1';

/** ClusterRole and Roles with their bindings; `leaseNamespace` defaults to the ServiceAccount's. */
export function rbacManifests(
  values: RbacValues,
  account: ServiceAccountRef,
  leaseNamespace = account.namespace,
): object[] {
  const subjects = [{ kind: 'ServiceAccount', name: account.name, namespace: account.namespace }];
  const objects: object[] = [];
  const bind = (kind: 'Role' | 'ClusterRole', name: string, namespace?: string) => {
    const metadata = namespace === undefined ? { name } : { name, namespace };
    objects.push({
      apiVersion: RBAC,
      kind: `${kind}Binding`,
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
      subjects,
    });
  };
  if (values.clusterRules.length > 0) {
    // Cluster-scoped names are shared by every namespace: the account's namespace keeps them apart.
    const name = `${account.name}-${account.namespace}`;
    objects.push({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name }, rules: values.clusterRules });
    bind('ClusterRole', name);
  }
  for (const { namespace, rules } of values.namespacedRules) {
    objects.push({ apiVersion: RBAC, kind: 'Role', metadata: { name: account.name, namespace }, rules });
    bind('Role', account.name, namespace);
  }
  if (values.leaseRules.length > 0) {
    const name = `${account.name}-leader-election`;
    objects.push({
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name, namespace: leaseNamespace },
      rules: values.leaseRules,
    });
    bind('Role', name, leaseNamespace);
  }
  return objects;
}

/** The comment header of either output: where each rule comes from, and what to check by hand. */
export function rbacHeader(plan: RbacPlan, configPath: string): string {
  const lines = [
    `Least-privilege RBAC for ${configPath}, from \`rowkube rbac\` (docs/rbac.md).`,
    'Verbs: create+patch server-side apply (a PATCH that creates is also checked as create), patch also',
    'orphan/adopt merge patches, get readiness and drift, list the inventory at start, delete pruning.',
    'Discovery needs no rule (system:discovery).',
    '',
    ...plan.reasons,
    ...plan.warnings.map((warning) => `WARNING: ${warning}`),
  ];
  return lines.map((line) => (line === '' ? '#' : `# ${line}`)).join('\n');
}
