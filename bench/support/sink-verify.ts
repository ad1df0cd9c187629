import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import type { KubeApi } from '../../src/sink/kube/index.js';
import { ownerSelector } from '../../src/sink/ownership/index.js';

// After the sink has run, the cluster is asked rather than the audit believed:
// how many objects of each kind carry this run's owner labels. A figure for
// objects/s means little if the objects are not all there.

export interface OwnedObjects {
  /** Objects per kind (e.g. "ConfigMap") that carry the prefix's owner labels, across all namespaces. */
  counts: Record<string, number>;
  /** Some kind has not `expected` objects. */
  short: boolean;
}

/** Counts the owned objects of every kind of the configuration's first form, and says what it found. */
export async function checkOwnedObjects(
  kube: KubeApi,
  config: RowkubeConfig,
  expected: number,
  say: (line: string) => void,
): Promise<OwnedObjects> {
  const counts: Record<string, number> = {};
  for (const resource of config.forms[0]?.resources ?? []) {
    const { apiVersion, kind } = resource.manifest;
    counts[String(kind)] = (
      await kube.list(String(apiVersion), String(kind), ownerSelector(config.kafka.topicPrefix))
    ).length;
  }
  const short = Object.values(counts).some((count) => count !== expected);
  say(
    `cluster: objects per kind with the run's owner labels: ${JSON.stringify(counts)}` +
      (short ? ` — expected ${expected} of each` : ''),
  );
  return { counts, short };
}
