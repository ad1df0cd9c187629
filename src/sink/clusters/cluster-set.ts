import type { Logger } from 'pino';
import type { DesiredValue, PipelineMetrics } from '../../contracts/index.js';
import { DEFAULT_CLUSTER } from '../../core/config/cluster-references.js';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import type { ChangeSet } from '../change-set.js';
import type { KubeApi, ObjectRef } from '../kube/index.js';
import { type DriftEvent, ResourceManager, type ResourceManagerOptions } from '../resource-manager.js';
import type { ApiserverGate } from '../runner/apiserver-gate.js';
import { clusterGates, reportCluster } from './cluster-gates.js';
import { clustersToLeave, misplaced, moveBlocker } from './move-order.js';
import { clusterOfNode } from './node-cluster.js';

// The sink's clusters as one: a resource manager per cluster (its own kube
// client, watch cache and inventory, request limiter, readiness, drift
// events, allowedNamespaces) and an API-server gate per cluster. Each node is
// applied to its cluster (its desired record's `cluster`); a node that has
// objects on another cluster is moving there, and is removed from the old
// one only once it stands on the new one (move-order.ts). With one cluster
// this is that cluster's manager and nothing more: the same requests, the
// same events, the same readiness as before clusters existed.

/** One cluster the sink applies to. */
export interface SinkCluster {
  name: string;
  kube: KubeApi;
  /** This cluster's allowedNamespaces; undefined: kubernetes.allowedNamespaces. */
  allowedNamespaces?: string[] | undefined;
}

export interface ClusterSetOptions extends Omit<ResourceManagerOptions, 'kube' | 'cluster' | 'onWatchError'> {
  clusters: readonly SinkCluster[];
  /** Several clusters are configured (kubernetes.clusters): events, status and readiness name each. */
  named: boolean;
  logger: Logger;
  metrics?: PipelineMetrics | undefined;
  /** Stops the gates' probing (the sink's attempt ends). */
  signal: AbortSignal;
  onWatchError?: (cluster: string, where: string, error: unknown, retryInMs: number) => void;
}

/** A drift event, with the cluster it happened on. */
export interface ClusterDriftEvent extends DriftEvent {
  cluster: string;
}

/** The cluster a failure came from, so that the node waits for that cluster's API server only. */
const failureCluster = new WeakMap<object, string>();

export class ClusterSet {
  private constructor(
    private readonly managers: ReadonlyMap<string, ResourceManager>,
    private readonly gates: ReadonlyMap<string, ApiserverGate>,
    private readonly options: Pick<ClusterSetOptions, 'named' | 'metrics' | 'config'>,
  ) {}

  /** Opens every cluster's manager at once (each lists its inventory); rejects when one cannot be reached. */
  static async open(options: ClusterSetOptions): Promise<ClusterSet> {
    const { config, named } = options;
    const opened = await Promise.allSettled(
      options.clusters.map((cluster) =>
        ResourceManager.open({
          ...(options.readinessPollMs === undefined ? {} : { readinessPollMs: options.readinessPollMs }),
          ...(options.watch === undefined ? {} : { watch: options.watch }),
          kube: cluster.kube,
          config: {
            ...config,
            kubernetes: {
              ...config.kubernetes,
              allowedNamespaces: cluster.allowedNamespaces ?? config.kubernetes.allowedNamespaces,
            },
          },
          ...(named ? { cluster: cluster.name } : {}),
          ...(options.onWatchError === undefined
            ? {}
            : {
                onWatchError: (where: string, error: unknown, retryInMs: number) =>
                  options.onWatchError?.(cluster.name, where, error, retryInMs),
              }),
        }),
      ),
    );
    const managers = new Map<string, ResourceManager>();
    opened.forEach((result, index) => {
      if (result.status === 'fulfilled') managers.set(options.clusters[index]?.name as string, result.value);
    });
    const failed = opened.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      for (const manager of managers.values()) manager.close();
      throw failed.reason;
    }
    const gates = clusterGates(new Map(options.clusters.map((c) => [c.name, c.kube])), options);
    return new ClusterSet(managers, gates, options);
  }

  /** The cluster names, in configuration order. */
  get names(): string[] {
    return [...this.managers.keys()];
  }

  /** Objects of this prefix found on every cluster when the set opened. */
  get objectsFound(): number {
    return [...this.managers.values()].reduce((sum, manager) => sum + manager.objectsFound, 0);
  }

  /** Each cluster up on /readyz and in the metrics: called once the sink runs. */
  reportUp(): void {
    if (!this.options.named) return;
    for (const name of this.managers.keys()) reportCluster(this.options.metrics, name, true);
  }

  onDrift(listener: (event: ClusterDriftEvent) => void): () => void {
    const stops = [...this.managers].map(([cluster, manager]) =>
      manager.onDrift((event) => listener({ ...event, cluster })),
    );
    return () => {
      for (const stop of stops) stop();
    };
  }

  drifted(cluster: string, ref: ObjectRef): boolean {
    return this.managers.get(cluster)?.drifted(ref) ?? false;
  }

  /** Whether what the sink knows of the node's objects may be out of date (ResourceManager.unsure), on every cluster holding it. */
  unsure(nodeId: string): boolean {
    const holding = this.holding(nodeId);
    return holding.length === 0 || holding.some((name) => this.managers.get(name)?.unsure(nodeId));
  }

  hasNode(nodeId: string): boolean {
    return this.holding(nodeId).length > 0;
  }

  nodes(): string[] {
    return [...new Set([...this.managers.values()].flatMap((manager) => manager.nodes()))];
  }

  /** The clusters holding objects of the node. */
  holding(nodeId: string): string[] {
    return [...this.managers].filter(([, manager]) => manager.hasNode(nodeId)).map(([name]) => name);
  }

  /** Whether the node has objects on a cluster it does not belong on (a move a crash interrupted). */
  misplaced(node: DesiredValue): boolean {
    return node.error === null && misplaced(clusterOfNode(node), this.holding(node.id));
  }

  close(): void {
    for (const manager of this.managers.values()) manager.close();
  }

  /**
   * Applies the node to its cluster; then, when it stands there, removes it
   * from the other clusters that hold it (a move). A node that could not be
   * rendered stays where it is, untouched (its failure is reported there).
   */
  async apply(node: DesiredValue, options: { verify: boolean; signal: AbortSignal }): Promise<ChangeSet> {
    if (node.error !== null) {
      const [where = this.fallback()] = this.holding(node.id);
      return this.tagged(where, await this.manager(where).apply(node, options));
    }
    const target = clusterOfNode(node);
    const manager = this.managers.get(target);
    if (manager === undefined) return this.unknownCluster(node, target);
    const applied = this.tagged(target, await manager.apply(node, options));
    const others = this.holding(node.id).filter((name) => name !== target);
    if (applied.failure !== undefined || others.length === 0) return applied;
    const blocker = moveBlocker(target, applied.events);
    const leave = clustersToLeave(target, [target, ...others], blocker);
    if (blocker !== undefined) {
      // Retried with backoff until the new copy stands; the old one serves meanwhile.
      const failure = new RowkubeError(
        ErrorCode.KUBERNETES,
        `${node.id}: moving to cluster '${target}': ${blocker}`,
        true,
      );
      return { ...applied, failure };
    }
    const events = [...applied.events];
    for (const name of leave) {
      const removed = this.tagged(name, await this.manager(name).delete(node.id));
      events.push(...removed.events);
      if (removed.failure !== undefined) return { nodeId: node.id, events, failure: removed.failure };
    }
    return { nodeId: node.id, events };
  }

  /** The node is gone: removed from every cluster holding it. */
  async delete(nodeId: string): Promise<ChangeSet> {
    const holding = this.holding(nodeId);
    if (holding.length === 0)
      return this.tagged(this.fallback(), await this.manager(this.fallback()).delete(nodeId));
    const events = [];
    for (const name of holding) {
      const removed = this.tagged(name, await this.manager(name).delete(nodeId));
      events.push(...removed.events);
      if (removed.failure !== undefined) return { nodeId, events, failure: removed.failure };
    }
    return { nodeId, events };
  }

  failed(
    nodeId: string,
    node: DesiredValue | null,
    details: { reason: string; errorCode: string | null },
  ): ChangeSet {
    const target = node === null || node.error !== null ? undefined : clusterOfNode(node);
    const where =
      target !== undefined && this.managers.has(target)
        ? target
        : (this.holding(nodeId)[0] ?? this.fallback());
    return this.manager(where).failed(nodeId, node, details);
  }

  /**
   * Before a failed node is retried: when its cluster's API server did not
   * answer, wait until it does (only that cluster's gate; the other clusters'
   * nodes go on).
   */
  beforeRetry(error: unknown, signal: AbortSignal): Promise<void> {
    const cluster =
      (typeof error === 'object' && error !== null && failureCluster.get(error)) || this.fallback();
    return this.gates.get(cluster)?.beforeRetry(error, signal) ?? Promise.resolve();
  }

  /** A record naming a cluster this configuration lacks (written under another one): final until reconfigured. */
  private unknownCluster(node: DesiredValue, target: string): ChangeSet {
    const message = `${node.id}: the desired record names cluster '${target}', which kubernetes.clusters does not name (clusters: ${this.names.join(', ')}); add it, or let the processor render the node again`;
    return { nodeId: node.id, events: [], failure: new RowkubeError(ErrorCode.CONFIG, message, false) };
  }

  private tagged(cluster: string, changes: ChangeSet): ChangeSet {
    const { failure } = changes;
    if (typeof failure === 'object' && failure !== null) failureCluster.set(failure, cluster);
    return changes;
  }

  /** Where a node that names no usable cluster is reported: `default`, else the first cluster. */
  private fallback(): string {
    return this.managers.has(DEFAULT_CLUSTER) ? DEFAULT_CLUSTER : (this.names[0] as string);
  }

  private manager(name: string): ResourceManager {
    const manager = this.managers.get(name);
    if (manager === undefined) throw new Error(`ClusterSet: no cluster '${name}'`);
    return manager;
  }
}
