import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { refKey } from '../inventory.js';
import { ApplyConflictError, ImmutableFieldError, type KubeObject } from '../kube/index.js';
import {
  adoptionPatch,
  type NodeOwner,
  OrphanLabel,
  OwnerAnnotation,
  ownerOf,
  withIgnoredFields,
} from '../ownership/index.js';
import type { PreparedResource } from './prepared-resource.js';
import { onImmutableChange } from './recreate-object.js';
import type { NodeAudit, SinkContext } from './sink-context.js';

// One resource's server-side apply, with its policies: creationPolicy Once,
// ignoreFields, conflictPolicy Stuck | Force, recreatePolicy Never |
// OnImmutableChange (recreate-object.ts). Writes only when the content
// differs from what rowkube last applied (the content-hash annotation), unless
// asked to verify (drift correction), where an apply of unchanged content is
// a no-op on the server anyway.

/** ok: the object is as desired (or left alone on purpose); failed: final for this record. */
export type ResourceOutcome = 'ok' | 'failed';

export interface ResourceResult {
  outcome: ResourceOutcome;
  /**
   * Whether the object carries this node's owner marks now. Only such objects
   * may enter the inventory: an object another manager kept (a conflict) or
   * that Once found already there is not rowkube's to prune or delete.
   */
  owned: boolean;
}

export async function applyResource(
  context: SinkContext,
  prepared: PreparedResource,
  audit: NodeAudit,
  verify: boolean,
  /** Stops a wait for a deleted object to go (recreatePolicy); the resource is then retried. */
  signal: AbortSignal = new AbortController().signal,
): Promise<ResourceResult> {
  const { resource, object, ref } = prepared;
  const key = refKey(ref);
  const hash = object.metadata.annotations?.[OwnerAnnotation.contentHash] ?? '';
  const details = { resourceId: resource.id, ref };
  const needsLive = verify || resource.creationPolicy === 'Once' || resource.ignoreFields.length > 0;

  if (!needsLive) {
    if (context.appliedHashes.get(key) === hash) {
      audit.record('unchanged', { ...details, reason: 'same content as last applied' });
      return { outcome: 'ok', owned: true };
    }
    return applyWithoutLooking(context, prepared, audit, hash, signal);
  }
  const live = await context.limiter.run(() => context.kube.get(ref));
  if (live !== undefined && resource.creationPolicy === 'Once') {
    audit.record('unchanged', {
      ...details,
      reason: 'creationPolicy Once: the object exists and is left as it is',
    });
    return { outcome: 'ok', owned: sameNode(ownerOf(live), ownerOf(object)) };
  }
  if (live !== undefined && !verify && liveHash(live) === hash && resource.ignoreFields.length === 0) {
    context.appliedHashes.set(key, hash);
    audit.record('unchanged', { ...details, reason: 'the object already has this content' });
    return { outcome: 'ok', owned: true };
  }

  const desired =
    live === undefined ? object : (withIgnoredFields(object, live, resource.ignoreFields) as KubeObject);
  let applied: KubeObject;
  try {
    applied = await context.limiter.run(() =>
      context.kube.apply(desired, {
        fieldManager: context.fieldManager,
        force: resource.conflictPolicy === 'Force',
      }),
    );
  } catch (error) {
    if (error instanceof ApplyConflictError) {
      audit.record('conflict', {
        ...details,
        reason: `${error.summary}; conflictPolicy Stuck leaves the object as it is (Force takes the fields over)`,
        errorCode: ErrorCode.APPLY_CONFLICT,
      });
      return { outcome: 'failed', owned: false };
    }
    if (error instanceof ImmutableFieldError)
      return onImmutableChange(context, prepared, audit, error, hash, signal);
    throw error;
  }
  context.cache?.wrote(applied, resource.ignoreFields);
  // An object orphaned earlier (Retain) and now desired again is rowkube's once more.
  if (live?.metadata.labels?.[OrphanLabel] !== undefined) await adopt(context, ref, resource.ignoreFields);
  context.appliedHashes.set(key, hash);
  const changed = live === undefined || applied.metadata.resourceVersion !== live.metadata.resourceVersion;
  const action = live === undefined ? 'created' : changed ? 'configured' : 'unchanged';
  const reason =
    action === 'created'
      ? 'created'
      : action === 'configured'
        ? 'applied a changed object'
        : 'the server found nothing to change';
  audit.record(action, { ...details, reason });
  return { outcome: 'ok', owned: true };
}

/**
 * The common case, one request: no policy needs the live object, and the
 * content differs from what rowkube knows the object holds (or it knows of no
 * such object). The server says whether it created the object.
 */
async function applyWithoutLooking(
  context: SinkContext,
  prepared: PreparedResource,
  audit: NodeAudit,
  hash: string,
  signal: AbortSignal,
): Promise<ResourceResult> {
  const { resource, object, ref } = prepared;
  const details = { resourceId: resource.id, ref };
  const known = context.appliedHashes.has(refKey(ref));
  let applied: { object: KubeObject; created: boolean };
  try {
    applied = await context.limiter.run(() =>
      context.kube.applyReporting(object, {
        fieldManager: context.fieldManager,
        force: resource.conflictPolicy === 'Force',
      }),
    );
  } catch (error) {
    if (error instanceof ApplyConflictError) return conflict(audit, details, error);
    if (error instanceof ImmutableFieldError)
      return onImmutableChange(context, prepared, audit, error, hash, signal);
    throw error;
  }
  context.cache?.wrote(applied.object, resource.ignoreFields);
  if (applied.object.metadata.labels?.[OrphanLabel] !== undefined)
    await adopt(context, ref, resource.ignoreFields);
  context.appliedHashes.set(refKey(ref), hash);
  if (applied.created) audit.record('created', { ...details, reason: 'created' });
  else
    audit.record('configured', {
      ...details,
      reason: known ? 'applied a changed object' : 'applied over an object that already existed',
    });
  return { outcome: 'ok', owned: true };
}

/** Gives an orphaned object its owner labels back; the patched object is rowkube's own write too. */
async function adopt(
  context: SinkContext,
  ref: PreparedResource['ref'],
  ignoreFields: readonly string[],
): Promise<void> {
  const adopted = await context.limiter.run(() => context.kube.mergePatch(ref, adoptionPatch()));
  if (adopted !== undefined) context.cache?.wrote(adopted, ignoreFields);
}

function conflict(
  audit: NodeAudit,
  details: { resourceId: string; ref: PreparedResource['ref'] },
  error: ApplyConflictError,
): ResourceResult {
  audit.record('conflict', {
    ...details,
    reason: `${error.summary}; conflictPolicy Stuck leaves the object as it is (Force takes the fields over)`,
    errorCode: ErrorCode.APPLY_CONFLICT,
  });
  return { outcome: 'failed', owned: false };
}

function sameNode(a: NodeOwner | undefined, b: NodeOwner | undefined): boolean {
  return a !== undefined && b !== undefined && a.prefix === b.prefix && a.nodeId === b.nodeId;
}

function liveHash(live: KubeObject): string | undefined {
  return live.metadata.annotations?.[OwnerAnnotation.contentHash];
}

/** Failures that the record cannot fix by waiting: reported as failed, not retried. */
export function isFinal(error: unknown): boolean {
  return error instanceof RowkubeError && !error.retriable;
}
