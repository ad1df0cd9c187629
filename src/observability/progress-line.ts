import type { Logger } from 'pino';

// One info line every few seconds while a long operation runs (a snapshot, a
// replay): how far it is, by part (a table, a partition) and in all, and how
// fast it goes, so an operator watching the logs knows it is moving and
// roughly when it ends. Nothing is logged for an operation shorter than one
// interval.

export interface ProgressLineOptions {
  logger: Logger;
  /** The log message, e.g. "snapshot progress". */
  message: string;
  /** Least time between two lines, ms. Default 5,000. */
  intervalMs?: number;
  /** The whole amount, when known in advance: the line then says how much is done of it. */
  total?: number;
  /** Clock, ms. */
  now?: () => number;
}

export class ProgressLine {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private lastLineAt: number;
  private done = 0;
  private readonly byPart = new Map<string, number>();

  constructor(private readonly options: ProgressLineOptions) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.lastLineAt = this.startedAt;
  }

  /** Counts `amount` more of `part`; logs a line when the interval has passed. */
  add(part: string, amount = 1): void {
    this.done += amount;
    this.byPart.set(part, (this.byPart.get(part) ?? 0) + amount);
    const at = this.now();
    if (at - this.lastLineAt < this.intervalMs) return;
    this.lastLineAt = at;
    this.options.logger.info(this.fields(at), this.options.message);
  }

  /** What the next line would say. */
  fields(at = this.now()): Record<string, unknown> {
    const seconds = (at - this.startedAt) / 1_000;
    const { total } = this.options;
    return {
      done: this.done,
      ...(total === undefined
        ? {}
        : { total, percent: total > 0 ? Math.floor((100 * this.done) / total) : 100 }),
      parts: Object.fromEntries(this.byPart),
      perSecond: seconds > 0 ? Math.round(this.done / seconds) : 0,
      elapsedSeconds: Math.round(seconds),
    };
  }
}
