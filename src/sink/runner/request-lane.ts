import { AsyncLocalStorage } from 'node:async_hooks';

// Which lane a node's Kubernetes requests queue in. A single-row change to a
// node that already exists is `urgent`; the work of a bulk (new nodes), the
// timed drift pass and the start-up clean-up is `bulk`. The lane is carried
// by the node's handling itself (async context), so every request it makes —
// the GET before an apply, the apply, readiness GETs, prunes — queues in the
// same lane without each step being told.

export type RequestLane = 'urgent' | 'bulk';

const current = new AsyncLocalStorage<RequestLane>();

/** Runs `work` with its requests (and those of everything it awaits) in `lane`. */
export function inLane<T>(lane: RequestLane, work: () => Promise<T>): Promise<T> {
  return current.run(lane, work);
}

/** The lane of the handling that is running; outside any (listing, probes): urgent, they gate everything else. */
export function currentLane(): RequestLane {
  return current.getStore() ?? 'urgent';
}
