import { abortableSleep } from '../../core/abortable-sleep.js';
import { ErrorCode } from '../../core/errors.js';
import type { KubeObject } from '../kube/index.js';
import { type Readiness, readinessOf } from '../readiness/index.js';
import type { PreparedResource } from './prepared-resource.js';
import type { NodeAudit, SinkContext } from './sink-context.js';

// waitForReady: judges the object by its kind's readiness rule until it says
// ready or failed, or timeoutSeconds pass. With the watch-fed cache the object
// is judged again at each watch event about it, and never fetched; only while
// the cache does not follow its kind (a kind no form names literally, or the
// watch reconnecting) is it fetched, at a slow pace. Without a cache it is
// polled, first often, then every 2 s. Waiting holds no request slot, so it
// never slows other nodes down. The resource manager's wait verb uses it too,
// with the caller's timeout instead.

export type ReadyOutcome = 'ready' | 'failed' | 'timed_out' | 'stopped';

/** How often an object is fetched while the cache does not follow its kind. */
const UNSYNCED_POLL_MS = 2_000;

export async function waitReady(
  context: SinkContext,
  prepared: PreparedResource,
  audit: NodeAudit,
  signal: AbortSignal,
  /** How long to wait; default the resource's timeoutSeconds. 0 looks once. */
  timeoutMs = prepared.resource.timeoutSeconds * 1_000,
): Promise<ReadyOutcome> {
  const { resource, ref } = prepared;
  const { cache } = context;
  const deadline = Date.now() + timeoutMs;
  let pause = context.readinessPollMs;
  for (;;) {
    if (signal.aborted) return 'stopped';
    // Taken before looking, so that an event between the look and the wait is not missed.
    const since = cache?.version(ref) ?? 0;
    const watched = cache?.synced(ref) === true;
    const seen = watched ? cache?.lookup(ref) : undefined;
    const readiness: Readiness =
      seen === 'behind'
        ? { state: 'progressing', reason: 'the watch has not delivered the applied object yet' }
        : judge(seen !== undefined ? seen.object : await context.limiter.run(() => context.kube.get(ref)));
    if (readiness.state === 'ready') return 'ready';
    if (readiness.state === 'failed') {
      audit.record('failed', {
        resourceId: resource.id,
        ref,
        reason: `not ready: ${readiness.reason}`,
        errorCode: ErrorCode.KUBERNETES,
      });
      return 'failed';
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      audit.record('timed_out', {
        resourceId: resource.id,
        ref,
        reason: `not ready after ${Number((timeoutMs / 1_000).toFixed(1))} s: ${readiness.reason}`,
        errorCode: ErrorCode.READY_TIMEOUT,
      });
      return 'timed_out';
    }
    if (cache?.synced(ref)) {
      // The next event about the object; the deadline otherwise.
      await cache.nextChange(ref, since, left, signal);
    } else if (cache !== undefined) {
      // Not followed (yet): an event may still come, else look again slowly.
      await cache.nextChange(ref, since, Math.min(UNSYNCED_POLL_MS, left), signal);
    } else {
      await abortableSleep(Math.min(pause, left), signal);
      // Looks back soon at first (most objects are ready in a moment), then less often.
      pause = Math.min(pause * 2, 2_000);
    }
  }
}

function judge(live: KubeObject | undefined): Readiness {
  return live === undefined
    ? { state: 'progressing', reason: 'the object does not exist' }
    : readinessOf(live);
}
