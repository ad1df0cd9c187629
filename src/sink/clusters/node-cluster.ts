import type { DesiredValue } from '../../contracts/index.js';
import { DEFAULT_CLUSTER } from '../../core/config/cluster-references.js';

// Which cluster a desired record goes to: its cluster field, rendered by the
// processor from forms[].cluster; a record without one (a form without
// `cluster`, or written before the field) goes to the cluster named `default`.

export function clusterOfNode(value: Pick<DesiredValue, 'cluster'>): string {
  return value.cluster ?? DEFAULT_CLUSTER;
}
