import { abortableSleep } from '../../core/abortable-sleep.js';
import { ErrorCode } from '../../core/errors.js';
import { readinessOf } from '../readiness/index.js';
import type { PreparedResource } from './prepared-resource.js';
import type { NodeAudit, SinkContext } from './sink-context.js';

// waitForReady: looks at the object until its kind's readiness rule says
// ready or failed, or timeoutSeconds pass. Between looks the node holds no
// request slot, so waiting never slows other nodes down. The resource
// manager's wait verb uses it too, with the caller's timeout instead.

export type ReadyOutcome = 'ready' | 'failed' | 'timed_out' | 'stopped';

export async function waitReady(
  context: SinkContext,
  prepared: PreparedResource,
  audit: NodeAudit,
  signal: AbortSignal,
  /** How long to wait; default the resource's timeoutSeconds. 0 looks once. */
  timeoutMs = prepared.resource.timeoutSeconds * 1_000,
): Promise<ReadyOutcome> {
  const { resource, ref } = prepared;
  const deadline = Date.now() + timeoutMs;
  let pause = context.readinessPollMs;
  for (;;) {
    if (signal.aborted) return 'stopped';
    const live = await context.limiter.run(() => context.kube.get(ref));
    const readiness =
      live === undefined ? { state: 'progressing', reason: 'the object does not exist' } : readinessOf(live);
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
    await abortableSleep(Math.min(pause, left), signal);
    // Looks back soon at first (most objects are ready in a moment), then less often.
    pause = Math.min(pause * 2, 2_000);
  }
}
