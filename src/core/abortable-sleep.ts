/**
 * Resolves after `ms` (never, for Infinity), or at once when the signal aborts.
 * Backoffs and idle waits use it so that a shutdown never waits out a timer;
 * the abort listener is removed either way, so waits in a loop do not pile up
 * listeners on a long-lived signal.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    function done() {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
