import type { RequestLane } from './request-lane.js';

// Two FIFO queues, urgent before bulk. The starvation guard: after
// `urgentBurst` urgent items in a row handed out while bulk ones wait, one
// bulk item goes next, so a steady stream of urgent work slows a bulk down
// but never stops it. Without urgent work, bulk items go one after another
// with nothing in between: the bulk runs at full speed.

export class LaneQueue<T> {
  private readonly urgent: T[] = [];
  private readonly bulk: T[] = [];
  private urgentHead = 0;
  private bulkHead = 0;
  /** Urgent items handed out in a row while a bulk item was waiting. */
  private urgentRun = 0;

  constructor(private readonly urgentBurst: number) {
    if (!Number.isInteger(urgentBurst) || urgentBurst < 1)
      throw new RangeError(`LaneQueue urgentBurst must be a positive integer, got ${urgentBurst}`);
  }

  get size(): number {
    return this.urgent.length - this.urgentHead + this.bulk.length - this.bulkHead;
  }

  push(lane: RequestLane, item: T): void {
    (lane === 'urgent' ? this.urgent : this.bulk).push(item);
  }

  /** The next item to serve, or undefined when both lanes are empty. */
  shift(): T | undefined {
    const urgentWaiting = this.urgentHead < this.urgent.length;
    const bulkWaiting = this.bulkHead < this.bulk.length;
    if (urgentWaiting && !(bulkWaiting && this.urgentRun >= this.urgentBurst)) {
      this.urgentRun = bulkWaiting ? this.urgentRun + 1 : 0;
      return this.take('urgent');
    }
    this.urgentRun = 0;
    return bulkWaiting ? this.take('bulk') : undefined;
  }

  // Array.shift is O(n): a bulk of 100,000 waiting requests would make every
  // hand-out copy the queue. A head index, compacted now and then, is O(1).
  private take(lane: RequestLane): T {
    const queue = lane === 'urgent' ? this.urgent : this.bulk;
    let head = lane === 'urgent' ? this.urgentHead : this.bulkHead;
    const item = queue[head] as T;
    queue[head] = undefined as T;
    head += 1;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else if (head >= 1_024 && head * 2 >= queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (lane === 'urgent') this.urgentHead = head;
    else this.bulkHead = head;
    return item;
  }
}
