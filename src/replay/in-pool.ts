// Replay handles nodes a bounded number at a time: requests are bounded by
// the sink's limiter, this bounds memory and open waits.

/** Runs handle over items, at most `size` at a time; stops starting new ones when the signal aborts. */
export async function inPool<T>(
  items: readonly T[],
  size: number,
  signal: AbortSignal,
  handle: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) {
      const item = items[next] as T;
      next += 1;
      await handle(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
