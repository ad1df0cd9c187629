import { LaneQueue } from './lane-queue.js';
import { currentLane } from './request-lane.js';

// Bounds the Kubernetes API requests in flight across all nodes. It bounds
// requests, not nodes: a node waiting for a Deployment to become ready holds
// no slot while it waits, so thousands of nodes can wait while others apply.
//
// A free slot goes to an urgent request (a change to a node that exists)
// before a bulk one (new nodes, drift passes): a single-row update does not
// queue behind the requests of a 10,000-tenant bulk (request-lane.ts). The
// lane queue's starvation guard keeps the bulk moving under steady urgent work.

/** Urgent requests served in a row while bulk ones wait, before one bulk request goes. */
const URGENT_BURST = 8;

export class RequestLimiter {
  private active = 0;
  private readonly waiting = new LaneQueue<() => void>(URGENT_BURST);

  constructor(readonly limit: number) {}

  async run<T>(request: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit)
      await new Promise<void>((resolve) => this.waiting.push(currentLane(), resolve));
    else this.active += 1;
    try {
      return await request();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
