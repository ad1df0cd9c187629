import type { DesiredValue } from '../contracts/index.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { applyNode, removeNode } from './apply/apply-node.js';
import type { NodeAudit, SinkContext } from './apply/sink-context.js';
import { waitNode } from './apply/wait-node.js';
import { OwnedCache } from './cache/owned-cache.js';
import type { ChangeSet } from './change-set.js';
import { formKinds, Inventory } from './inventory.js';
import { canWatch, type KubeApi, type ObjectRef } from './kube/index.js';
import { literalNamespaces, namespaceMatcher, ownerOf, ownerSelector } from './ownership/index.js';
import { nodeAuditFor } from './runner/desired-work.js';
import { RequestLimiter } from './runner/request-limiter.js';

// The sink's resource manager, split by verb as Flux's is: apply a node's
// desired state, delete a node, wait for a node's objects to be ready, each
// returning a change set. It owns what
// every node shares — the Kubernetes port, the request limiter, the inventory
// of owned objects and the hashes last applied — so the sink runner and
// replay drive the cluster the same way and differ only in where nodes come
// from and what they do with the change sets.

export interface ResourceManagerOptions {
  kube: KubeApi;
  config: Pick<RowkubeConfig, 'forms' | 'kafka' | 'kubernetes'>;
  /** How often a resource waiting for readiness is looked at first, ms (default 250; it backs off to 2 s). */
  readinessPollMs?: number;
  /**
   * Keep a watch-fed cache of the owned objects (when the client can watch):
   * readiness reacts to watch events, drift is seen as it happens (onDrift),
   * and the inventory is the cache's first LIST. Call close() when done.
   */
  watch?: boolean;
  /** The cache's list or watch failed; it tries again by itself after retryInMs. */
  onWatchError?: (where: string, error: unknown, retryInMs: number) => void;
  /** The cluster's name, with several clusters (kubernetes.clusters): every audit event names it. */
  cluster?: string;
}

/** An owned object someone else changed or deleted: the node it belongs to, and the object. */
export interface DriftEvent {
  nodeId: string;
  ref: ObjectRef;
}

export class ResourceManager {
  private constructor(
    private readonly context: SinkContext,
    private readonly config: ResourceManagerOptions['config'],
    /** Objects of this prefix found in the cluster when the manager opened. */
    readonly objectsFound: number,
    /** The cluster's name with several clusters; undefined with one. */
    readonly cluster?: string,
  ) {}

  /**
   * Lists the objects that carry this prefix's owner labels (the inventory
   * pruning and deletion work from), then is ready to apply. Rejects when the
   * API server cannot be reached.
   */
  static async open(options: ResourceManagerOptions): Promise<ResourceManager> {
    const { kube, config } = options;
    const prefix = config.kafka.topicPrefix;
    const limiter = new RequestLimiter(config.kubernetes.concurrency);
    const context: SinkContext = {
      kube,
      limiter,
      prefix,
      fieldManager: config.kubernetes.fieldManager,
      namespaceAllowed: namespaceMatcher(config.kubernetes.allowedNamespaces),
      inventory: new Inventory(),
      appliedHashes: new Map(),
      readinessPollMs: options.readinessPollMs ?? 250,
    };
    const namespaces = literalNamespaces(config.kubernetes.allowedNamespaces);
    if (options.watch === true && canWatch(kube)) {
      // The inventory is the cache's first LIST: one listing, which the watches then go on from.
      context.cache = await OwnedCache.open({
        kube,
        limiter,
        selector: ownerSelector(prefix),
        kinds: formKinds(config.forms),
        namespaces,
        onError: options.onWatchError,
      });
      context.appliedHashes = context.cache.appliedHashes;
      const found = context.inventory.seedFrom(context.cache.objects(), prefix, context.appliedHashes);
      return new ResourceManager(context, config, found, options.cluster);
    }
    const found = await context.inventory.seed(
      kube,
      limiter,
      prefix,
      config.forms,
      context.appliedHashes,
      namespaces,
    );
    return new ResourceManager(context, config, found, options.cluster);
  }

  /** Whether readiness and drift come from watches (the cache is open). */
  get watching(): boolean {
    return this.context.cache !== undefined;
  }

  /**
   * Calls `listener` when an owned object is changed or deleted by someone
   * else (its content is not what rowkube last wrote). Needs `watch`.
   * Returns how to stop.
   */
  onDrift(listener: (event: DriftEvent) => void): () => void {
    const cache = this.context.cache;
    if (cache === undefined) return () => undefined;
    return cache.subscribe((change) => {
      if (!cache.isDrift(change)) return;
      const { object } = change;
      const ref = refOfObject(object);
      // The version before the change still carries the owner marks if someone removed them.
      const owner = ownerOf(change.previous ?? object);
      if (owner === undefined || owner.prefix !== this.context.prefix) return;
      listener({ nodeId: owner.nodeId, ref });
    });
  }

  /** Whether an owned object is still not as rowkube last wrote it (a drift seen while its node was busy). */
  drifted(ref: ObjectRef): boolean {
    return this.context.cache?.drifted(ref) ?? false;
  }

  /**
   * Whether what this manager knows of a node's objects may be out of date:
   * it knows none of them, or one is not as it last wrote it. So it is for a
   * node another replica applied until it took the node's partition over.
   */
  unsure(nodeId: string): boolean {
    const objects = this.context.inventory.objectsOf(nodeId);
    return objects.length === 0 || objects.some((object) => this.drifted(object.ref));
  }

  /** Stops the watches. */
  close(): void {
    this.context.cache?.close();
  }

  /** The nodes that own objects in the cluster, as far as this manager knows. */
  /** Whether rowkube has objects of the node in the cluster (found at start or applied since). */
  hasNode(nodeId: string): boolean {
    return this.context.inventory.has(nodeId);
  }

  nodes(): string[] {
    return this.context.inventory.nodes();
  }

  /**
   * Applies a node's desired state: its resources in schedule order, with
   * their policies and readiness waits, then prunes the node's objects the
   * record no longer names. `verify` re-applies what looks unchanged (drift).
   */
  apply(node: DesiredValue, options: { verify: boolean; signal: AbortSignal }): Promise<ChangeSet> {
    return this.run(node.id, node, (audit) => applyNode(this.context, node, audit, options));
  }

  /** The node is gone: every object it owns is deleted, or kept without owner labels (Retain). */
  delete(nodeId: string): Promise<ChangeSet> {
    return this.run(nodeId, null, (audit) => removeNode(this.context, nodeId, audit));
  }

  /**
   * Waits until every object of the node's desired state is ready by the
   * sink's readiness rules (src/sink/readiness), all looked at together, for
   * at most timeoutMs (0 looks once). Writes nothing. The change set's events
   * are the objects that are not ready — timed_out (ROWKUBE_ERR_READY_TIMEOUT),
   * failed when their rule says they will not get ready, refused when their
   * namespace is not allowed — so an object of the node without an event is
   * ready. Its failure is set when the API server could not be asked, or the
   * signal stopped the wait: readiness is then unknown for the objects without
   * an event.
   */
  wait(node: DesiredValue, options: { timeoutMs: number; signal: AbortSignal }): Promise<ChangeSet> {
    return this.run(node.id, node, (audit) => waitNode(this.context, node, audit, options));
  }

  /** A change set that only reports a failure of the node, for a caller that gives up on it or retries it. */
  failed(
    nodeId: string,
    node: DesiredValue | null,
    details: { reason: string; errorCode: string | null },
  ): ChangeSet {
    const audit = this.auditFor(nodeId, node);
    audit.record('failed', details);
    return { nodeId, events: audit.events };
  }

  private async run(
    nodeId: string,
    node: DesiredValue | null,
    verb: (audit: NodeAudit) => Promise<void>,
  ): Promise<ChangeSet> {
    const audit = this.auditFor(nodeId, node);
    try {
      await verb(audit);
      return { nodeId, events: audit.events };
    } catch (failure) {
      return { nodeId, events: audit.events, failure };
    }
  }

  private auditFor(nodeId: string, node: DesiredValue | null): NodeAudit {
    return nodeAuditFor(nodeId, node, this.config, this.cluster);
  }
}

function refOfObject(object: {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string };
}): ObjectRef {
  const ref: ObjectRef = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name ?? '',
  };
  if (object.metadata.namespace) ref.namespace = object.metadata.namespace;
  return ref;
}
