import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { refKey } from '../inventory.js';
import {
  ApplyConflictError,
  describeImmutable,
  describeRef,
  ImmutableFieldError,
  type KubeObject,
} from '../kube/index.js';
import { ownerOf } from '../ownership/index.js';
import type { PreparedResource } from './prepared-resource.js';
import type { NodeAudit, SinkContext } from './sink-context.js';
import { waitGone } from './wait-gone.js';

// An apply the API server refused because it changes a field that cannot
// change in place (ImmutableFieldError). recreatePolicy Never (the default)
// reports it and leaves the object as it is; OnImmutableChange deletes the
// object — this very object, by uid, in the background — waits until the
// watch shows it gone, and applies it again, as Flux does. Only an object
// carrying this node's owner marks is ever deleted.

/** How long the deleted object may take to go (finalizers) before the resource fails. */
export const RECREATE_WAIT_MS = 60_000;

/** Deletions refused because the object changed between reading and deleting it, before giving up. */
const DELETE_ATTEMPTS = 5;

export interface RecreateResult {
  outcome: 'ok' | 'failed';
  owned: boolean;
}

export async function onImmutableChange(
  context: SinkContext,
  prepared: PreparedResource,
  audit: NodeAudit,
  error: ImmutableFieldError,
  hash: string,
  signal: AbortSignal,
): Promise<RecreateResult> {
  const { resource, ref, form } = prepared;
  const details = { resourceId: resource.id, ref };
  const fields = describeImmutable(error.fields);
  const fail = (reason: string, owned: boolean): RecreateResult => {
    audit.record('failed', { ...details, reason, errorCode: ErrorCode.IMMUTABLE_FIELD });
    return { outcome: 'failed', owned };
  };
  if (resource.recreatePolicy !== 'OnImmutableChange')
    return fail(
      `${error.summary}; recreatePolicy Never leaves the object as it is: set recreatePolicy: ` +
        `OnImmutableChange on resource ${resource.id} of form ${form} to delete and recreate it, or revert the change`,
      true,
    );

  let deletedUid: string | undefined;
  for (let attempt = 1; ; attempt++) {
    const live = await context.limiter.run(() => context.kube.get(ref));
    if (live === undefined) break;
    const owner = ownerOf(live);
    const mine = ownerOf(prepared.object);
    if (
      owner === undefined ||
      mine === undefined ||
      owner.prefix !== mine.prefix ||
      owner.nodeId !== mine.nodeId
    )
      return fail(
        `${error.summary}; recreatePolicy OnImmutableChange: not deleted, the object does not carry ` +
          `the owner labels of node ${mine?.nodeId ?? '(unknown)'}`,
        false,
      );
    const uid = live.metadata.uid ?? '';
    const resourceVersion = live.metadata.resourceVersion ?? '';
    // rowkube's own removal: the watch event that follows is not drift.
    context.cache?.forget(ref);
    const deleted = await context.limiter.run(() =>
      context.kube.delete(ref, { propagation: 'Background', preconditions: { uid, resourceVersion } }),
    );
    if (deleted === 'absent') break;
    if (deleted === 'changed') {
      if (attempt < DELETE_ATTEMPTS) continue;
      return fail(
        `${error.summary}; recreatePolicy OnImmutableChange: not deleted, the object changed each time ` +
          `between reading and deleting it (${DELETE_ATTEMPTS} attempts)`,
        true,
      );
    }
    deletedUid = uid;
    const gone = await waitGone(context, ref, { uid, resourceVersion }, signal, RECREATE_WAIT_MS);
    if (gone === 'stopped')
      throw new RowkubeError(
        ErrorCode.KUBERNETES,
        `${describeRef(ref)}: stopped while waiting for the deleted object to go`,
        true,
      );
    if (gone === 'timed_out')
      return fail(
        `${error.summary}; recreatePolicy OnImmutableChange deleted the object (uid ${uid}), but it was ` +
          `still there after ${RECREATE_WAIT_MS / 1_000} s (a finalizer holds it?): not created again`,
        true,
      );
    break;
  }

  let applied: KubeObject;
  try {
    applied = (
      await context.limiter.run(() =>
        context.kube.applyReporting(prepared.object, {
          fieldManager: context.fieldManager,
          force: resource.conflictPolicy === 'Force',
        }),
      )
    ).object;
  } catch (again) {
    if (again instanceof ImmutableFieldError || again instanceof ApplyConflictError)
      return fail(`${again.summary} (after deleting the object to recreate it)`, false);
    throw again;
  }
  context.cache?.wrote(applied, resource.ignoreFields);
  context.appliedHashes.set(refKey(ref), hash);
  audit.record('recreated', {
    ...details,
    reason:
      deletedUid === undefined
        ? `${fields}: the object was gone already, created again`
        : `${fields}: deleted the object (uid ${deletedUid}) and created it again (uid ${applied.metadata.uid ?? '?'})`,
  });
  return { outcome: 'ok', owned: true };
}
