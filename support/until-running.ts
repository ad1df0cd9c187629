import type { RowkubeProcess } from './rowkube-process.js';
import { waitFor } from './wait-for.js';

// The wait of the tests that start `rowkube run`: a process that exited
// makes every probe fail (so the timeout names that, not a missing object),
// and a timeout carries what rowkube said last, where the cause usually is.

export interface UntilRunningOptions {
  /** Default 60,000 ms. */
  timeoutMs?: number;
  /** Default 200 ms. */
  intervalMs?: number;
}

/**
 * waitFor on `probe` while the process `rowkube()` returns runs; no process
 * yet (undefined) is not checked.
 */
export function untilRunning<T>(
  rowkube: () => RowkubeProcess | undefined,
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 60_000, intervalMs = 200 }: UntilRunningOptions = {},
): Promise<T> {
  return waitFor(
    what,
    async () => {
      const process = rowkube();
      if (process !== undefined && process.exitCode !== null)
        throw new Error(`rowkube run exited:\n${process.lastOutput(40)}`);
      return probe();
    },
    { timeoutMs, intervalMs },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nrowkube run said:\n${rowkube()?.lastOutput(30)}`);
  });
}
