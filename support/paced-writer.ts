import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { round1 } from './percentiles.js';

// A writer at a steady rate (the benchmarks' latency phases, the failover runs), as an application commits: one write after the
// other on one connection, each started at its slot on a fixed schedule
// (t0 + i / rate). A write that returns late does not shift the schedule: the
// next ones start at once until the writer is back on time, so the offered
// rate stays the configured one whenever the database keeps up.

export interface PacedResult {
  writes: number;
  /** Writes per second actually achieved. */
  achievedRate: number;
  /** The furthest any write started behind its slot (ms): large means the writer, not capture, was the limit. */
  maxBehindMs: number;
}

/**
 * Writes for `seconds` (Infinity: until `signal` is aborted); an abort ends
 * the writer early, after the write in progress.
 */
export async function writePaced(
  rate: number,
  seconds: number,
  write: (index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<PacedResult> {
  const limit = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const t0 = performance.now();
  let maxBehind = 0;
  let total = 0;
  for (let i = 0; i < limit && !signal?.aborted; i++, total++) {
    const slot = t0 + i * interval;
    const ahead = slot - performance.now();
    if (ahead > 1) await sleep(ahead);
    if (signal?.aborted) break;
    maxBehind = Math.max(maxBehind, performance.now() - slot);
    await write(i);
  }
  const elapsed = (performance.now() - t0) / 1000;
  return { writes: total, achievedRate: round1(total / elapsed), maxBehindMs: round1(maxBehind) };
}
