import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

// Waits on figures that consumers update as records arrive. Polling costs the
// figures nothing: arrival times are taken where records arrive, not here.

/** waitUntil() gave up: the condition did not hold in time (as opposed to the thing measured failing). */
export class PollTimeoutError extends Error {}

const INTERVAL_MS = 20;

/**
 * Resolves once `check` holds; rejects with PollTimeoutError after
 * `timeoutMs`, or with the error of `failed` as soon as that rejects (the
 * processor or the floor stopped on its own).
 */
export async function pollUntil(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  failed?: Promise<never>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let abandoned = false;
  const polling = (async () => {
    while (!abandoned && !check()) {
      if (performance.now() > deadline)
        throw new PollTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(INTERVAL_MS);
    }
  })();
  try {
    await (failed === undefined ? polling : Promise.race([polling, failed]));
  } finally {
    // When `failed` won the race, the loop must not poll on until its deadline.
    abandoned = true;
  }
}
