import { createRequire } from 'node:module';

// kafkajs 2.2.4 keeps a 1 ms timer running on every broker connection for as
// long as the connection lives, even when nothing is queued: each answer
// calls checkPendingRequests, which calls scheduleCheckPendingRequests, which
// sets a timer of `throttledUntil - Date.now()` ms; unthrottled, that is
// negative, Node makes it 1 ms, and the timer calls checkPendingRequests
// again. An idle `rowkube run` has a dozen connections (producers, consumers,
// their coordinators, admin), so it woke its event loop thousands of times a
// second to do nothing (kafkajs issues #1556, #1604 and #1704; the fix below
// is the one of PR #1667 and the review of PR #1768, neither released).
//
// The fix: schedule a check only while requests wait in the queue. Nothing is
// lost: a request queued behind the in-flight limit is sent when an answer
// arrives (fulfillRequest checks the queue), and one queued behind a broker's
// throttle gets its timer when it is queued (push), as before. kafkajs exposes
// no option for this, so the method is replaced on the class kafkajs itself
// loads (a CommonJS module, shared through require's cache). It is fixed for
// the one version pinned in package.json: another version may have changed
// the class, and then the fix stays off and says so (kafkajsRequestQueueFix).

/** The kafkajs version whose RequestQueue this fix was written against (package.json pins it). */
export const FIXED_KAFKAJS_VERSION = '2.2.4';

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL: how soon a queue behind the in-flight limit is looked at again. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** What the fix reads and writes on a kafkajs RequestQueue. */
interface RequestQueueState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

interface RequestQueueClass {
  prototype: { scheduleCheckPendingRequests?: (this: RequestQueueState) => void };
}

export type RequestQueueFix = { applied: true } | { applied: false; reason: string };

let state: RequestQueueFix | undefined;

/** A check of the queue only while requests wait in it: at the throttle's end, or soon. */
function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId !== null || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/**
 * Replaces kafkajs's RequestQueue.scheduleCheckPendingRequests, once per
 * process (createKafka calls it); says whether it did, and why not.
 */
export function fixKafkajsRequestQueue(): RequestQueueFix {
  if (state !== undefined) return state;
  const require = createRequire(import.meta.url);
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== FIXED_KAFKAJS_VERSION) {
    state = {
      applied: false,
      reason: `kafkajs ${version} is not ${FIXED_KAFKAJS_VERSION}, the version src/kafka/request-queue-timer.ts was written for`,
    };
    return state;
  }
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as RequestQueueClass;
  if (typeof RequestQueue.prototype.scheduleCheckPendingRequests !== 'function') {
    state = { applied: false, reason: 'kafkajs RequestQueue has no scheduleCheckPendingRequests' };
    return state;
  }
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  state = { applied: true };
  return state;
}
