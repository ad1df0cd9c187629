import { abortableSleep } from '../../core/abortable-sleep.js';
import type { KubeObject, ObjectRef } from '../kube/index.js';
import type { SinkContext } from './sink-context.js';

// Waits until an object rowkube deleted is gone from the cluster, so that it
// can be created again (recreatePolicy OnImmutableChange). Like waitReady: with
// the watch-fed cache the object is looked at again at each watch event about
// it and never fetched; while the cache does not follow its kind it is
// fetched, first often, then every 2 s.

export type GoneOutcome = 'gone' | 'timed_out' | 'stopped';

/** The deleted object: its uid, and its resourceVersion as the deletion found it. */
export interface DeletedObject {
  uid: string;
  resourceVersion: string;
}

/** How often the object is fetched while the cache does not follow its kind. */
const UNSYNCED_POLL_MS = 2_000;

export async function waitGone(
  context: SinkContext,
  ref: ObjectRef,
  deleted: DeletedObject,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<GoneOutcome> {
  const { cache } = context;
  const deadline = Date.now() + timeoutMs;
  let pause = context.readinessPollMs;
  for (;;) {
    if (signal.aborted) return 'stopped';
    const since = cache?.version(ref) ?? 0;
    const seen = cache?.synced(ref) === true ? cache.lookup(ref) : undefined;
    const gone =
      seen !== undefined && seen !== 'behind'
        ? goneFromCache(seen.object, deleted)
        : goneFromServer(await context.limiter.run(() => context.kube.get(ref)), deleted);
    if (gone) return 'gone';
    const left = deadline - Date.now();
    if (left <= 0) return 'timed_out';
    if (cache?.synced(ref)) await cache.nextChange(ref, since, left, signal);
    else if (cache !== undefined)
      await cache.nextChange(ref, since, Math.min(UNSYNCED_POLL_MS, left), signal);
    else {
      await abortableSleep(Math.min(pause, left), signal);
      pause = Math.min(pause * 2, 2_000);
    }
  }
}

function goneFromServer(live: KubeObject | undefined, deleted: DeletedObject): boolean {
  return live === undefined || live.metadata.uid !== deleted.uid;
}

/**
 * The cache keeps no uid. The deleted object, until its DELETED event, has
 * at most the resourceVersion the deletion found (the delete's precondition
 * made sure), or carries a deletionTimestamp while finalizers hold it; an
 * object without one and with a newer version is a new object of that name.
 */
function goneFromCache(cached: KubeObject | undefined, deleted: DeletedObject): boolean {
  if (cached === undefined) return true;
  if (cached.metadata.deletionTimestamp !== undefined) return false;
  const version = cached.metadata.resourceVersion;
  if (version === undefined || !/^\d+$/.test(version) || !/^\d+$/.test(deleted.resourceVersion)) return false;
  return BigInt(version) > BigInt(deleted.resourceVersion);
}
