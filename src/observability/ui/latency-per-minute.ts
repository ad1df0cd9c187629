import type { AuditAction, AuditEvent } from '../../contracts/index.js';

// The dashboard's COMMIT→applied chart: the sink's writes folded per minute of
// their apply time, for the last hour. Kept in memory by the process that runs
// the sink, since it started (fed with the audit events it publishes), so the
// chart costs no Kafka read. Each minute keeps a count, a sum, a maximum and a
// log-scale histogram, so its percentiles stay cheap under a bulk of thousands
// of writes a minute: a percentile is the upper bound of its bin (at most 19 %
// high), never above the minute's maximum.

/** One minute of the chart; the latencies are null for a minute with no write. */
export interface LatencyMinute {
  /** The minute's start, ms since epoch. */
  startMs: number;
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
}

/** The actions that write an object, as the latency histogram of /metrics counts them. */
const WRITES: ReadonlySet<AuditAction> = new Set(['created', 'configured', 'recreated']);

const MINUTE_MS = 60_000;
/** Bins per doubling: bin b holds latencies up to 2^(b/4) ms. */
const STEPS_PER_DOUBLING = 4;
/** 2^(100/4) ms is over 9 hours: longer latencies share the last bin. */
const BINS = 101;

interface Minute {
  count: number;
  sumMs: number;
  maxMs: number;
  bins: Uint32Array;
}

function binOf(ms: number): number {
  if (ms <= 1) return 0;
  return Math.min(BINS - 1, Math.ceil(Math.log2(ms) * STEPS_PER_DOUBLING));
}

function upperBound(bin: number): number {
  return 2 ** (bin / STEPS_PER_DOUBLING);
}

export class LatencyPerMinute {
  private readonly minutes = new Map<number, Minute>();

  /** @param windowMinutes how many minutes back the chart reaches (default an hour). */
  constructor(private readonly windowMinutes = 60) {}

  /** One write applied at `appliedAtMs`, `latencyMs` after its commit; a negative one (two hosts' clocks) counts as 0. */
  add(appliedAtMs: number, latencyMs: number): void {
    const start = Math.floor(appliedAtMs / MINUTE_MS) * MINUTE_MS;
    let minute = this.minutes.get(start);
    if (minute === undefined) {
      minute = { count: 0, sumMs: 0, maxMs: 0, bins: new Uint32Array(BINS) };
      this.minutes.set(start, minute);
      this.prune(start);
    }
    const ms = Math.max(0, latencyMs);
    minute.count += 1;
    minute.sumMs += ms;
    minute.maxMs = Math.max(minute.maxMs, ms);
    minute.bins[binOf(ms)] = (minute.bins[binOf(ms)] ?? 0) + 1;
  }

  /** The writes among the sink's audit events that know their commit time. */
  addEvents(events: readonly AuditEvent[]): void {
    for (const event of events) {
      if (WRITES.has(event.action) && event.latencyMs !== null)
        this.add(Number(event.appliedAtMs), Number(event.latencyMs));
    }
  }

  /** The window's minutes up to the one holding `nowMs`, oldest first, empty minutes included. */
  chart(nowMs: number): LatencyMinute[] {
    const last = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const out: LatencyMinute[] = [];
    for (let i = this.windowMinutes - 1; i >= 0; i--) {
      const startMs = last - i * MINUTE_MS;
      const minute = this.minutes.get(startMs);
      if (minute === undefined || minute.count === 0) {
        out.push({ startMs, count: 0, p50Ms: null, p95Ms: null, maxMs: null, meanMs: null });
        continue;
      }
      out.push({
        startMs,
        count: minute.count,
        p50Ms: percentile(minute, 0.5),
        p95Ms: percentile(minute, 0.95),
        maxMs: minute.maxMs,
        meanMs: minute.sumMs / minute.count,
      });
    }
    return out;
  }

  /** Forgets minutes that left the window as of the newest one. */
  private prune(newestStart: number): void {
    const oldest = newestStart - (this.windowMinutes - 1) * MINUTE_MS;
    for (const start of this.minutes.keys()) if (start < oldest) this.minutes.delete(start);
  }
}

function percentile(minute: Minute, q: number): number {
  const rank = Math.max(1, Math.ceil(q * minute.count));
  let seen = 0;
  for (let bin = 0; bin < BINS; bin++) {
    seen += minute.bins[bin] ?? 0;
    if (seen >= rank) return Math.min(upperBound(bin), minute.maxMs);
  }
  return minute.maxMs;
}
