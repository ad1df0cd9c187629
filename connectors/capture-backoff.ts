// How long capture waits before its next attempt: exponential, capped, with
// jitter so that sources (and replicas) that lost the same database or broker
// at the same moment do not all come back at the same moment.

export interface BackoffOptions {
  /** Wait after the first failure (ms). Default 500. */
  initialDelayMs?: number;
  /** Longest wait (ms). Default 30,000. */
  maxDelayMs?: number;
  /**
   * Random in [0, 1): the wait is drawn from [delay / 2, delay) ("equal
   * jitter": spread out, yet never much shorter than planned). Default Math.random.
   */
  random?: () => number;
}

export class Backoff {
  private readonly initial: number;
  private readonly max: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initial = options.initialDelayMs ?? 500;
    this.max = Math.max(this.initial, options.maxDelayMs ?? 30_000);
    this.random = options.random ?? Math.random;
  }

  /** The wait before the next attempt; each call without reset() doubles it, up to the cap. */
  next(): number {
    const planned = Math.min(this.max, this.initial * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    return Math.round(planned / 2 + (planned / 2) * this.random());
  }

  /** After progress: the next failure waits the initial delay again. */
  reset(): void {
    this.failures = 0;
  }
}
