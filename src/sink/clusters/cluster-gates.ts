import type { Logger } from 'pino';
import type { PipelineMetrics } from '../../contracts/index.js';
import type { KubeApi } from '../kube/index.js';
import { ApiserverGate } from '../runner/apiserver-gate.js';

// One API-server gate per cluster (runner/apiserver-gate.ts): a node that
// failed because its cluster's API server did not answer waits for that
// server only, so nodes of the other clusters keep flowing. With a single
// cluster the gate reports as the component `sink`, as it always did; with
// several, each cluster reports as `sink/cluster/<name>` (a line of /readyz,
// which is 503 while one is away: the sink is not doing all its work) and
// as the gauge rowkube_cluster_up{cluster}.

/** The /readyz component of one of several clusters. */
export function clusterComponent(name: string): string {
  return `sink/cluster/${name}`;
}

export interface ClusterGateOptions {
  logger: Logger;
  signal: AbortSignal;
  metrics?: PipelineMetrics | undefined;
  /** Several clusters (kubernetes.clusters): report each under its own name. */
  named: boolean;
}

export function clusterGates(
  clusters: ReadonlyMap<string, KubeApi>,
  options: ClusterGateOptions,
): Map<string, ApiserverGate> {
  const { metrics, named } = options;
  const gates = new Map<string, ApiserverGate>();
  for (const [name, kube] of clusters) {
    if (!named) {
      gates.set(name, ApiserverGate.forSink(kube, options));
      continue;
    }
    const logger = options.logger.child({ cluster: name });
    gates.set(
      name,
      new ApiserverGate({
        probe: () => kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }),
        logger,
        signal: options.signal,
        report: (ready, reason) => reportCluster(metrics, name, ready, reason),
      }),
    );
  }
  return gates;
}

/** A cluster's state on /readyz and in rowkube_cluster_up. */
export function reportCluster(
  metrics: PipelineMetrics | undefined,
  name: string,
  up: boolean,
  reason?: string,
): void {
  metrics?.componentState(
    clusterComponent(name),
    up,
    reason === undefined ? undefined : `cluster '${name}': ${reason}`,
  );
  metrics?.clusterUp?.(name, up);
}
