// Runs async tasks one at a time, in the order they were queued. A
// transactional stage's state and its producer are shared by its batches, its
// take-overs after a rebalance and whatever else it writes (the processor's
// lookup followers); each of those is a task.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // The next task waits for this one whether it succeeds or fails.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
