// When each expiring node of the processor's share goes away
// (hubs[].expireAt), so that one timer, set for the earliest, is enough
// however many nodes expire. A binary min-heap of (time, id) with lazy
// removal: moving or cancelling a node only updates the map, and a heap
// entry that no longer matches the map is dropped when it reaches the top.
// Every operation is O(log n); a stale entry costs one pop.

interface Entry {
  atMs: number;
  id: string;
}

export class ExpiryQueue {
  private readonly heap: Entry[] = [];
  /** The time in force per node id; a heap entry is live only when it matches. */
  private readonly due = new Map<string, number>();

  get size(): number {
    return this.due.size;
  }

  /** Sets (or moves) the node's expiry. */
  schedule(id: string, atMs: number): void {
    if (this.due.get(id) === atMs) return;
    this.due.set(id, atMs);
    this.push({ atMs, id });
    // Stale entries pile up when values move often: rebuild past twice the live ones.
    if (this.heap.length > 2 * this.due.size + 64) this.rebuild();
  }

  /** The node no longer expires (row gone, NULL, already removed). */
  cancel(id: string): void {
    this.due.delete(id);
  }

  /** When the node expires, if it does. */
  expiryOf(id: string): number | undefined {
    return this.due.get(id);
  }

  /** The earliest expiry, or undefined when none is scheduled. */
  next(): number | undefined {
    this.dropStale();
    return this.heap[0]?.atMs;
  }

  /** Removes and returns the nodes due at `nowMs` (time ≤ now), earliest first. */
  takeDue(nowMs: number): { id: string; atMs: number }[] {
    const taken: { id: string; atMs: number }[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (top === undefined || top.atMs > nowMs) return taken;
      this.pop();
      this.due.delete(top.id);
      taken.push(top);
    }
  }

  clear(): void {
    this.heap.length = 0;
    this.due.clear();
  }

  private dropStale(): void {
    for (let top = this.heap[0]; top !== undefined && this.due.get(top.id) !== top.atMs; top = this.heap[0])
      this.pop();
  }

  private rebuild(): void {
    this.heap.length = 0;
    for (const [id, atMs] of this.due) this.push({ id, atMs });
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Entry, heap[parent] as Entry)) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry, heap[i] as Entry];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left] as Entry, heap[smallest] as Entry)) smallest = left;
      if (right < heap.length && before(heap[right] as Entry, heap[smallest] as Entry)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as Entry, heap[i] as Entry];
      i = smallest;
    }
  }
}

/** Earlier first; ids break ties so that the order never depends on arrival. */
function before(a: Entry, b: Entry): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.id < b.id);
}
