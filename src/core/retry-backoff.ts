// The pause before the next attempt at something that failed because a
// dependency (a broker, an API server, a database) did not answer. It doubles
// up to a ceiling, and each pause is drawn at random from its upper half
// ("equal jitter"), so that processes which lost the same dependency at the
// same moment do not come back to it in lockstep.

export interface RetryBackoffOptions {
  /** The first pause, ms. */
  initialMs: number;
  /** The pause doubles up to this, ms. */
  maxMs: number;
  /** A number in [0, 1); Math.random by default (tests pass a fixed one). */
  random?: () => number;
}

export class RetryBackoff {
  private base: number;

  constructor(private readonly options: RetryBackoffOptions) {
    this.base = options.initialMs;
  }

  /** The next pause, ms: between half the current step and the whole of it; the step then doubles. */
  next(): number {
    const step = Math.min(this.base, this.options.maxMs);
    this.base = Math.min(step * 2, this.options.maxMs);
    const random = this.options.random ?? Math.random;
    return Math.round(step / 2 + (random() * step) / 2);
  }

  /** After a success: the next failure starts from the first pause again. */
  reset(): void {
    this.base = this.options.initialMs;
  }
}
