import type {
  AuditEvent,
  DesiredValue,
  NodeObjectStatus,
  NodeState,
  NodeStatus,
} from '../../contracts/index.js';

// The state machine of a node's status (docs/status.md), as pure functions of
// what the sink already knows when it publishes a node's audit events: the
// desired value it handled (null: the node is gone), the events of that
// handling and how the handling ended. No Kafka, no Kubernetes.
//
//   a record starts            → Progressing
//   handled, rendered, no error → Ready
//   an object failed, timed out or was refused, or the row was not rendered → Failed
//   an object is held by another field manager (conflictPolicy Stuck) → Conflict
//   objects skipped because a dependency did not make it → Skipped
//   the node is gone           → Deleted (a tombstone follows after the retention)
//   a retriable failure        → Progressing, with the error (the sink retries)
//   a failure it gave up on    → Failed
//
// Failed wins over Conflict, Conflict over Skipped: a dependent of a
// conflicting object is skipped, and the conflict is what to fix.

/** How a node's handling ended, or that it started. */
export type StatusPhase =
  | { kind: 'started' }
  | { kind: 'handled' }
  /** The node failed as a whole: retried (`final` false) or given up. */
  | { kind: 'failed'; final: boolean; error: { code: string; message: string } };

/** Actions after which an object is as desired (readiness was waited for where asked: a wait that fails adds its own event). */
const DONE_ACTIONS: ReadonlySet<string> = new Set(['created', 'configured', 'unchanged', 'recreated']);
const FAILED_ACTIONS: ReadonlySet<string> = new Set(['failed', 'timed_out', 'refused']);
/** An object no longer part of the node: not listed. */
const GONE_ACTIONS: ReadonlySet<string> = new Set(['pruned']);
/** The last action of an object the sink has not acted on in this version yet. */
export const PENDING_ACTION = 'pending';

/** The node's state and its error; cheap: a scan of the events, no manifest parsed. */
export function nodeStateOf(
  value: DesiredValue | null,
  events: readonly AuditEvent[],
  phase: StatusPhase,
): { state: NodeState; error: { code: string; message: string } | null } {
  if (phase.kind === 'started') return { state: 'Progressing', error: null };
  if (phase.kind === 'failed') return { state: phase.final ? 'Failed' : 'Progressing', error: phase.error };
  if (value !== null && value.error !== null) {
    const { code, message, path } = value.error;
    return {
      state: 'Failed',
      error: { code, message: path === null || message.includes(path) ? message : `${message} (at ${path})` },
    };
  }
  let failed = false;
  let conflict = false;
  let skipped = false;
  let error: { code: string; message: string } | null = null;
  for (const event of events) {
    if (FAILED_ACTIONS.has(event.action)) failed = true;
    else if (event.action === 'conflict') conflict = true;
    else if (event.action === 'skipped') skipped = true;
    else continue;
    if (error === null && event.errorCode !== null) error = { code: event.errorCode, message: event.reason };
  }
  const problem: NodeState | undefined = failed
    ? 'Failed'
    : conflict
      ? 'Conflict'
      : skipped
        ? 'Skipped'
        : undefined;
  if (problem !== undefined) return { state: problem, error };
  return { state: value === null ? 'Deleted' : 'Ready', error: null };
}

/** A resource's object as its rendered manifest names it (namespace: the manifest's, else the form's target). */
function manifestObject(resource: DesiredValue['resources'][number]): NodeObjectStatus {
  let parsed: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } =
    {};
  try {
    parsed = JSON.parse(resource.manifest) as typeof parsed;
  } catch {
    // An unreadable manifest still lists its resource, with what is known.
  }
  const namespace = parsed.metadata?.namespace;
  return {
    resourceId: resource.id,
    apiVersion: String(parsed.apiVersion ?? ''),
    kind: String(parsed.kind ?? ''),
    namespace: typeof namespace === 'string' && namespace !== '' ? namespace : resource.targetNamespace,
    name: String(parsed.metadata?.name ?? ''),
    lastAction: PENDING_ACTION,
    ready: false,
  };
}

/**
 * The node's objects: each resource of the desired value with the last event
 * about it (pending before the sink acted on it). Of a node that is gone, the
 * objects its removal acted on. A manifest is parsed only for a resource whose
 * events name no object (skipped, failed before it was prepared, pending).
 */
export function nodeObjectsOf(value: DesiredValue | null, events: readonly AuditEvent[]): NodeObjectStatus[] {
  if (value === null) {
    return events.flatMap((event) =>
      event.object === null
        ? []
        : [
            {
              resourceId: event.resourceId ?? '',
              ...event.object,
              lastAction: event.action,
              ready: false,
            },
          ],
    );
  }
  const last = new Map<string, AuditEvent>();
  const named = new Map<string, AuditEvent['object']>();
  for (const event of events) {
    if (event.resourceId === null || GONE_ACTIONS.has(event.action)) continue;
    last.set(event.resourceId, event);
    if (event.object !== null) named.set(event.resourceId, event.object);
  }
  return value.resources.map((resource) => {
    const event = last.get(resource.id);
    const object = named.get(resource.id);
    const base: NodeObjectStatus =
      object === undefined || object === null
        ? manifestObject(resource)
        : { resourceId: resource.id, ...object, lastAction: PENDING_ACTION, ready: false };
    if (event === undefined) return base;
    return { ...base, lastAction: event.action, ready: DONE_ACTIONS.has(event.action) };
  });
}

export interface StatusParts {
  nodeId: string;
  hub: string;
  form: string;
  value: DesiredValue | null;
  events: readonly AuditEvent[];
  state: NodeState;
  error: { code: string; message: string } | null;
  stateSinceMs: bigint;
  nowMs: bigint;
}

/** The record: the state (nodeStateOf) with the objects and the row version it reflects. */
export function buildNodeStatus(parts: StatusParts): NodeStatus {
  const { value, events } = parts;
  // A tombstone has no provenance: the events of the removal carry the node's last known one.
  const provenance = value?.provenance ?? events[0]?.provenance;
  return {
    nodeId: parts.nodeId,
    hub: parts.hub,
    form: parts.form,
    state: parts.state,
    stateSinceMs: parts.stateSinceMs,
    updatedAtMs: parts.nowMs,
    objects: nodeObjectsOf(value, events),
    source: provenance?.source ?? '',
    table: provenance?.table ?? '',
    position: provenance?.position ?? null,
    commitTsMs: provenance?.commitTsMs ?? null,
    contentHash: value?.contentHash ?? '',
    error: parts.error === null ? null : { ...parts.error, at: parts.nowMs },
    formVersion: value?.formVersion ?? null,
    ...(value?.cluster ? { cluster: value.cluster } : {}),
  };
}

/**
 * What of a status a reader cares about, as a 32-bit FNV-1a hash: the state,
 * the version, the error and each object's last action and readiness, not
 * the times. A drift re-apply that changes none of it writes nothing.
 */
export function statusDigest(status: NodeStatus): number {
  let text = `${status.state}\n${status.contentHash}\n${status.error?.code ?? ''}\n${status.error?.message ?? ''}`;
  for (const o of status.objects)
    text += `\n${o.kind}/${o.namespace ?? ''}/${o.name}:${o.lastAction}:${o.ready ? 1 : 0}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
