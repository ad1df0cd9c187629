// One audit event: an action the sink took (or refused to take) on the
// cluster, or a hold of the processor's mass-deletion guard (held, released,
// cancelled), as it is encoded on `<prefix>.audit` (schemas/audit.avsc, codec in
// src/kafka/audit-message.ts) and as decodeAudit gives it back. Avro longs are
// bigint, as everywhere in rowkube. The sink writes it; observability, replay
// and downstream consumers read it.

/**
 * Every action an event can name. The wire type is a string, so readers built
 * before an action was added still decode it; writers only use these.
 */
export const AUDIT_ACTIONS = [
  /** The object did not exist and was created. */
  'created',
  /** The object existed and the apply changed it. */
  'configured',
  /** The object already matched the desired state: nothing was written. */
  'unchanged',
  /** The object was deleted because its resource left the form. */
  'pruned',
  /** deletionPolicy Retain: the object was left in place, without owner labels, with orphan markers. */
  'retained',
  /** Server-side apply found fields owned by another field manager and conflictPolicy is Stuck. */
  'conflict',
  /** The action failed; errorCode and reason say why. */
  'failed',
  /** Not applied because a dependency failed or timed out (skipOnDependencyFailure). */
  'skipped',
  /** waitForReady: the object did not become ready within timeoutSeconds. */
  'timed_out',
  /** The object's namespace is not in kubernetes.allowedNamespaces: the sink did not touch it. */
  'refused',
  /** The object was deleted because its node is gone (row deleted or deactivated). */
  'deleted',
  /** recreatePolicy OnImmutableChange: the apiserver refused a change as immutable, so the object was deleted and applied again. */
  'recreated',
  /** The processor (mass-deletion guard): the node's removal is held until `rowkube release`; node-level. */
  'held',
  /** The processor: a held removal was carried out by `rowkube release` (the node's tombstone follows). */
  'released',
  /** The processor: a held removal was dropped because the row came back. */
  'cancelled',
  /**
   * The processor: the row's expireAt time passed (hubs[].expireAt), so the
   * node is removed as if deactivated; node-level, its tombstone follows.
   * provenance.commitTsMs is the expiry time.
   */
  'expired',
  /**
   * The processor (progressive rollout, docs/rollout.md): a new form version
   * started rolling out; form-level, keyed `rollout/<form>` (nodeId), no object.
   */
  'rollout_started',
  /** The rollout stopped admitting nodes: failureThreshold reached, or `pause: true`. */
  'rollout_paused',
  /** `rowkube rollout resume`: a paused rollout admits nodes again. */
  'rollout_resumed',
  /** `rowkube rollout abort`: the nodes already changed go back to the previous version. */
  'rollout_aborted',
  /** Every node of the form is on the new version and Ready. */
  'rollout_complete',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const KNOWN_ACTIONS: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

export function isAuditAction(value: string): value is AuditAction {
  return KNOWN_ACTIONS.has(value);
}

/** The Kubernetes object an event is about. */
export interface AuditObject {
  apiVersion: string;
  kind: string;
  /** null for a cluster-scoped object. */
  namespace: string | null;
  name: string;
}

/** The change behind the desired state the sink acted on (the desired record's provenance). */
export interface AuditProvenance {
  /** The configured source name. */
  source: string;
  /** The table as the configuration names it. */
  table: string;
  /** The source position as JSON text; null when unknown. */
  position: string | null;
  /** Commit time by the database clock, ms since epoch; null when unknown. */
  commitTsMs: bigint | null;
}

export interface AuditEvent {
  /** `<form>/<uid>`; also the record key. */
  nodeId: string;
  hub: string;
  form: string;
  /** The form resource the object comes from; null for node-level events and for objects no resource produces any more. */
  resourceId: string | null;
  /** null for an event about the whole node. */
  object: AuditObject | null;
  action: AuditAction;
  /** Why, for people. */
  reason: string;
  /** A ROWKUBE_ERR_* code for failed, conflict, refused, timed_out; null otherwise. */
  errorCode: string | null;
  provenance: AuditProvenance;
  /** When the action finished, by the sink's clock, ms since epoch. */
  appliedAtMs: bigint;
  /** appliedAtMs - provenance.commitTsMs; null when the commit time is unknown. */
  latencyMs: bigint | null;
  /** The server-side apply field manager the sink used. */
  fieldManager: string;
  /** Where the change was on its way, for the per-stage latency; absent or null when unknown. */
  stages?: StageTimes | null;
  /** The cluster the action was taken on (a name of kubernetes.clusters); absent or null with a single cluster. */
  cluster?: string | null;
}

/**
 * Stage timestamps of the change behind an action, by rowkube's clocks, ms
 * since epoch (null: unknown). The stages they bound:
 *   capture  provenance.commitTsMs → changeSeenAtMs (connector read, queueing,
 *            linger, the Kafka transaction, the processor's fetch wait)
 *   process  changeSeenAtMs → desiredSeenAtMs (render, the processor's Kafka
 *            transaction, the sink's fetch wait)
 *   apply    desiredSeenAtMs → appliedAtMs (the sink's queueing, the request)
 * capturedAtMs splits capture at the connector: before it, the database's
 * delivery of the change; after it, rowkube's queueing and Kafka.
 */
export interface StageTimes {
  capturedAtMs: bigint | null;
  changeSeenAtMs: bigint | null;
  desiredSeenAtMs: bigint | null;
}

/** Stage durations in ms of an event's change, each null when a bound is unknown. */
export interface StageDurations {
  captureMs: number | null;
  processMs: number | null;
  applyMs: number | null;
}

export function stageDurations(
  event: Pick<AuditEvent, 'provenance' | 'appliedAtMs' | 'stages'>,
): StageDurations {
  const stages = event.stages ?? null;
  const span = (from: bigint | null | undefined, to: bigint | null | undefined) =>
    from === null || from === undefined || to === null || to === undefined ? null : Number(to - from);
  return {
    captureMs: span(event.provenance.commitTsMs, stages?.changeSeenAtMs),
    processMs: span(stages?.changeSeenAtMs, stages?.desiredSeenAtMs),
    applyMs: span(stages?.desiredSeenAtMs, event.appliedAtMs),
  };
}

/** An event as decoded: a writer newer than this build may name an action it does not know. */
export type DecodedAuditEvent = Omit<AuditEvent, 'action'> & { action: string };

/** Commit → action latency, or null without a commit time. */
export function commitLatencyMs(provenance: AuditProvenance, appliedAtMs: bigint): bigint | null {
  return provenance.commitTsMs === null ? null : appliedAtMs - provenance.commitTsMs;
}
