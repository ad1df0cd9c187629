import type { ServiceAccountRef } from '../src/cluster/rbac-manifests.js';
import { rbacManifests } from '../src/cluster/rbac-manifests.js';
import type { RbacValues } from '../src/cluster/rbac-rules.js';
import type { KubeObject } from '../src/sink/kube/index.js';

/**
 * The RBAC objects for `values` bound to `account`, as the Helm chart renders
 * them (ClusterRole, Roles per namespace, the Lease Role, their bindings).
 */
export function renderChartRbac(values: RbacValues, account: ServiceAccountRef): KubeObject[] {
  return rbacManifests(values, account) as KubeObject[];
}
