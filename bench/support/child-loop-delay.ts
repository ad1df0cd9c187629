import type { Replica } from '../../support/replica-set.js';

// The event-loop delay of the `rowkube run` child over a window, from its own
// prom-client figures (monitorEventLoopDelay, sampled every 100 ms): reading
// /metrics resets them, so start() opens the window and end() reads it. It
// shows how long the one loop that capture, the processor and the sink share
// is held by synchronous work (bench:fairness, during the bulk).

const NAMES = {
  p50: 'nodejs_eventloop_lag_p50_seconds',
  p99: 'nodejs_eventloop_lag_p99_seconds',
  max: 'nodejs_eventloop_lag_max_seconds',
} as const;

export interface LoopDelayFigures {
  p50: number;
  p99: number;
  max: number;
}

export class ChildLoopDelay {
  constructor(private readonly replica: Replica) {}

  /** Opens the window (a read that resets the child's histogram). */
  async start(): Promise<void> {
    await this.replica.metrics(Object.values(NAMES));
  }

  /** The delay since start(), ms; null when the child did not answer. */
  async end(): Promise<LoopDelayFigures | null> {
    const values = await this.replica.metrics(Object.values(NAMES));
    if (values === undefined) return null;
    const ms = (name: string) => Math.round((values.get(name) ?? Number.NaN) * 10_000) / 10;
    return { p50: ms(NAMES.p50), p99: ms(NAMES.p99), max: ms(NAMES.max) };
  }
}
