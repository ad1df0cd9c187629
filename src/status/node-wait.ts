import type { NodeStatus, WaitOutcome } from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import { RowkubeError } from '../core/errors.js';
import { positionReaches, type WantedPosition } from '../core/wanted-position.js';

// `rowkube wait` and `GET /v1/nodes/{id}?position=P&wait=S`: until a node
// reflects an application's commit at position P (docs/read-your-writes.md).
//
// A node's status names the source position of the row version it reflects.
// When that position is at or past P, the status answers: Ready succeeds;
// Failed, Conflict, Skipped and Deleted fail with their reason; Progressing
// waits for the next status. When it is behind P, the node may simply have
// had no change since, so the answer waits for the pipeline barrier
// (pipeline-barrier.ts): once every change up to P has been handled, the
// node's status as of then is the answer, whatever its position.

/** Where statuses come from: a StatusView that follows the status topic. */
export interface StatusFeed {
  get(nodeId: string): NodeStatus | undefined;
  subscribe(listener: (nodeId: string, status: NodeStatus | undefined) => void): () => void;
}

export interface NodeWaitOptions {
  nodeId: string;
  wanted: WantedPosition;
  timeoutMs: number;
  feed: StatusFeed;
  /**
   * One step of the pipeline barrier: true once every change up to the
   * position is handled (pipeline-barrier.ts checkBarrier, bound to its progress).
   */
  barrier: (signal: AbortSignal) => Promise<boolean>;
  /**
   * The node's status read afresh from the status topic, once the barrier
   * held: a follower may still be a fetch behind what the sink acknowledged.
   */
  readCurrent: () => Promise<NodeStatus | undefined>;
  /** Between two barrier checks. Default 250 ms. */
  pollMs?: number;
  signal?: AbortSignal;
  /** Barrier errors (a broker away) are retried; this hears of them. */
  onBarrierError?: (error: unknown) => void;
}

/** What a status says about the wait once it counts: undefined while the node is still in progress. */
export function verdictOf(status: NodeStatus): WaitOutcome | undefined {
  switch (status.state) {
    case 'Ready':
      return { kind: 'ready', status };
    case 'Progressing':
      return undefined;
    case 'Deleted':
      return {
        kind: 'failed',
        status,
        reason: `node ${status.nodeId} is Deleted: its row is gone or inactive`,
      };
    default: {
      const error = status.error ? `${status.error.code}: ${status.error.message}` : 'no error recorded';
      return { kind: 'failed', status, reason: `node ${status.nodeId} is ${status.state}: ${error}` };
    }
  }
}

/** The status reflects a row version at or past the wanted position (throws ROWKUBE_ERR_POSITION when they cannot compare). */
export function statusReaches(status: NodeStatus, wanted: WantedPosition): boolean {
  return status.position !== null && positionReaches(status.position, wanted);
}

/**
 * Resolves with the outcome; never rejects for a timeout or a failed node.
 * Rejects with ROWKUBE_ERR_POSITION when the position does not fit the node's
 * source (a 400, not a timeout).
 */
export async function waitForNode(options: NodeWaitOptions): Promise<WaitOutcome> {
  const { nodeId, wanted, feed } = options;
  const stop = new AbortController();
  let settled = false;
  let settle: (outcome: WaitOutcome) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const result = new Promise<WaitOutcome>((resolve, reject) => {
    settle = (outcome) => {
      settled = true;
      resolve(outcome);
    };
    fail = (error) => {
      settled = true;
      reject(error);
    };
  });
  const onAbort = () => {
    stop.abort();
    settle({ kind: 'timeout', status: feed.get(nodeId), reason: `waiting for node ${nodeId} was cancelled` });
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // Once the barrier held, every later status reflects P too: the state alone decides.
  let barrierHeld = false;

  const consider = (status: NodeStatus | undefined): void => {
    if (status === undefined) return;
    try {
      if (!barrierHeld && !statusReaches(status, wanted)) return;
    } catch (error) {
      fail(error);
      return;
    }
    const verdict = verdictOf(status);
    if (verdict) settle(verdict);
  };

  const unsubscribe = feed.subscribe((id, status) => {
    if (id === nodeId) consider(status);
  });
  const timer = setTimeout(() => {
    const status = feed.get(nodeId);
    settle({
      kind: 'timeout',
      status,
      reason: timeoutReason(nodeId, wanted, status, barrierHeld, options.timeoutMs),
    });
  }, options.timeoutMs);

  const pollBarrier = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      try {
        if (await options.barrier(stop.signal)) {
          if (stop.signal.aborted) return;
          const fresh = await options.readCurrent();
          const followed = feed.get(nodeId);
          barrierHeld = true;
          const current = newer(fresh, followed);
          if (current === undefined) {
            settle({
              kind: 'not-found',
              reason: `node ${nodeId} has no status: no row of its hub renders it (or the sink has not written one)`,
            });
          } else consider(current);
          return;
        }
      } catch (error) {
        if (error instanceof RowkubeError && error.code === 'ROWKUBE_ERR_POSITION') {
          fail(error);
          return;
        }
        options.onBarrierError?.(error);
      }
      await abortableSleep(options.pollMs ?? 250, stop.signal);
    }
  };

  consider(feed.get(nodeId));
  // The barrier only when the node's own status did not answer at once: it costs Kafka requests.
  const polling = settled ? Promise.resolve() : pollBarrier();
  try {
    return await result;
  } finally {
    stop.abort();
    clearTimeout(timer);
    unsubscribe();
    options.signal?.removeEventListener('abort', onAbort);
    // A barrier check under way ends with the abort; the caller may close what it reads with after this.
    await polling;
  }
}

function newer(a: NodeStatus | undefined, b: NodeStatus | undefined): NodeStatus | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.updatedAtMs >= a.updatedAtMs ? b : a;
}

function timeoutReason(
  nodeId: string,
  wanted: WantedPosition,
  status: NodeStatus | undefined,
  barrierHeld: boolean,
  timeoutMs: number,
): string {
  const after = `after ${(timeoutMs / 1000).toFixed(1)} s`;
  if (status === undefined) return `node ${nodeId} has no status yet ${after} (position ${wanted.text})`;
  if (barrierHeld) return `node ${nodeId} is still ${status.state} ${after}`;
  return (
    `node ${nodeId} does not reflect position ${wanted.text} yet ${after}: it is ${status.state} ` +
    `at ${status.position ?? 'no position'}, and the pipeline has not handled every change up to the position`
  );
}
