import type { KubeApi } from '../../src/sink/kube/index.js';
import { ownerSelector } from '../../src/sink/ownership/index.js';

// After the sink phase, the cluster is asked rather than the audit believed:
// how many objects of each kind carry this run's owner labels. A figure for
// objects/s means little if the objects are not all there.

export interface KindRef {
  apiVersion: string;
  kind: string;
}

/** Objects per kind (e.g. "ConfigMap") that carry the prefix's owner labels, across all namespaces. */
export async function countOwnedObjects(
  kube: KubeApi,
  prefix: string,
  kinds: readonly KindRef[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { apiVersion, kind } of kinds)
    counts[kind] = (await kube.list(apiVersion, kind, ownerSelector(prefix))).length;
  return counts;
}
