import type { AuditEvent, AuditObject, AuditProvenance, StageTimes } from '../../contracts/index.js';
import type { OwnedCache } from '../cache/owned-cache.js';
import type { Inventory } from '../inventory.js';
import type { KubeApi, ObjectRef } from '../kube/index.js';
import type { RequestLimiter } from '../runner/request-limiter.js';

// What applying a node needs, shared by every node the sink handles.

/**
 * Object (refKey) → the content hash rowkube last applied to it. A Map, or
 * the watch cache's (OwnedCache.appliedHashes), which keeps the hash in the
 * state it holds per object anyway: one entry per object, not a second map.
 */
export interface AppliedHashes {
  get(key: string): string | undefined;
  has(key: string): boolean;
  set(key: string, hash: string): unknown;
  delete(key: string): unknown;
}

export interface SinkContext {
  kube: KubeApi;
  /** Every Kubernetes request goes through it: bounded concurrency across nodes. */
  limiter: RequestLimiter;
  prefix: string;
  fieldManager: string;
  namespaceAllowed: (namespace: string) => boolean;
  inventory: Inventory;
  /** Object → content hash rowkube last applied (or found on it): equal means nothing to write. */
  appliedHashes: AppliedHashes;
  /** How often a resource waiting for readiness is looked at, ms (without the cache, or while it is not synced). */
  readinessPollMs: number;
  /** The watch-fed cache of owned objects; undefined: readiness polls and drift waits for the timed pass. */
  cache?: OwnedCache | undefined;
}

/** A node's handling as it goes: the events to publish once it is done. */
export class NodeAudit {
  readonly events: AuditEvent[] = [];

  constructor(
    /** cluster: only with several clusters (kubernetes.clusters); left out, events read as before the field. */
    private readonly base: Pick<AuditEvent, 'nodeId' | 'hub' | 'form' | 'fieldManager' | 'cluster'>,
    private readonly provenance: AuditProvenance,
    /** The change's way through the stages; null when this handling is no change's (drift, clean-up). */
    private readonly stages: StageTimes | null = null,
  ) {}

  record(
    action: AuditEvent['action'],
    details: { resourceId?: string | null; ref?: ObjectRef; reason: string; errorCode?: string | null },
  ): void {
    const appliedAtMs = BigInt(Date.now());
    const { commitTsMs } = this.provenance;
    this.events.push({
      ...this.base,
      resourceId: details.resourceId ?? null,
      object: details.ref === undefined ? null : auditObject(details.ref),
      action,
      reason: details.reason,
      errorCode: details.errorCode ?? null,
      provenance: this.provenance,
      appliedAtMs,
      latencyMs: commitTsMs === null ? null : appliedAtMs - commitTsMs,
      stages: this.stages,
    });
  }
}

function auditObject(ref: ObjectRef): AuditObject {
  return { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace ?? null, name: ref.name };
}
