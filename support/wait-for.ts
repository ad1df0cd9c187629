import { setTimeout as sleep } from 'node:timers/promises';

// Waiting for a condition with a deadline, never for a fixed duration: the
// one polling helper of the tests, the benchmarks and the demo. Polling costs
// a benchmark's figures nothing, since times are taken where records arrive,
// not here.

/** The condition did not hold in time (as opposed to what was awaited failing). */
export class WaitTimeoutError extends Error {}

export interface WaitOptions {
  /** Default 30,000 ms. */
  timeoutMs?: number;
  /** Default 100 ms. */
  intervalMs?: number;
  /**
   * Rejects when what the caller waits on failed (a stage of the pipeline, a
   * process): the wait then rejects at once with that error.
   */
  abandon?: Promise<unknown>;
}

/** Ends the wait at once with `error`, from inside a probe: for a failure that waiting longer cannot fix. */
export type Bail = (error: unknown) => never;

class Bailed {
  constructor(readonly error: unknown) {}
}

/**
 * Polls `probe` until it returns a value other than undefined, or
 * fails after `timeoutMs` with a message naming what was awaited and the last
 * error seen. A probe's errors are retried until then, except what it passes
 * to `bail`.
 */
export async function waitFor<T>(
  what: string,
  probe: (bail: Bail) => Promise<T | undefined> | T | undefined,
  { timeoutMs = 30_000, intervalMs = 100, abandon }: WaitOptions = {},
): Promise<T> {
  const bail: Bail = (error) => {
    throw new Bailed(error);
  };
  let abandoned: { error: unknown } | undefined;
  abandon?.catch((error: unknown) => {
    abandoned = { error };
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (abandoned !== undefined) throw abandoned.error;
    try {
      const value = await probe(bail);
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof Bailed) throw error.error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(intervalMs);
  }
}
