import type { DesiredValue } from '../../contracts/index.js';
import { recordFinalFailure } from './apply-node.js';
import { isFinal } from './apply-resource.js';
import { prepareResource } from './prepared-resource.js';
import type { NodeAudit, SinkContext } from './sink-context.js';
import { waitReady } from './wait-ready.js';

// The wait verb: every object a node's desired state names, looked at until
// its kind's readiness rule says ready, all of them at once, with one deadline
// for the node. It uses waitForReady's own loop, so readiness is judged and
// polled exactly as during an apply, and it writes nothing to the cluster.
//
// The audit events it records are the objects that are not ready: timed_out
// (ROWKUBE_ERR_READY_TIMEOUT) when the deadline passed, failed when the rule
// says the object will not get ready without a change (a failed Job, a
// rollout past its progress deadline), refused or failed when the object
// cannot even be named (its namespace is not allowed). A ready object has no
// event: looking at it is not an action on the cluster, and the audit stream
// should not grow by one event per object each time someone waits.

export async function waitNode(
  context: SinkContext,
  node: DesiredValue,
  audit: NodeAudit,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<void> {
  if (node.error !== null) {
    // What its objects should be is unknown: nothing can be called ready.
    audit.record('failed', {
      resourceId: node.error.resourceId,
      reason: `not rendered, nothing to wait for: ${node.error.message}`,
      errorCode: node.error.code,
    });
    return;
  }
  const deadline = Date.now() + options.timeoutMs;
  const retries: unknown[] = [];
  await Promise.all(
    node.resources.map(async (resource) => {
      let ref: Awaited<ReturnType<typeof prepareResource>>['ref'] | undefined;
      try {
        const prepared = await prepareResource(context, node, resource);
        ref = prepared.ref;
        await waitReady(context, prepared, audit, options.signal, Math.max(deadline - Date.now(), 0));
      } catch (error) {
        if (isFinal(error)) recordFinalFailure(audit, resource.id, ref, error);
        else retries.push(error);
      }
    }),
  );
  // The API server out of reach: the caller looks again or gives up, as after an apply.
  if (retries.length > 0) throw retries[0];
  // No error code: nothing is wrong with the node, the caller stopped asking.
  if (options.signal.aborted)
    throw new Error(`${node.id}: stopped before every object was known to be ready`);
}
