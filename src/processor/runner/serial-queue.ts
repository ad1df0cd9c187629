// Runs async tasks one at a time, in the order they were queued. The
// processor's state and its transactional producer are shared by the hub
// consumer, the lookup followers and rebalances; each of those is a task.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // The next task waits for this one whether it succeeds or fails.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
