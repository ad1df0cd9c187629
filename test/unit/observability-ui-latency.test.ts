import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/contracts/index.js';
import { LatencyPerMinute } from '../../src/observability/ui/latency-per-minute.js';

const MINUTE = 60_000;
/** A whole minute, so the folding is easy to read. */
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % MINUTE);

function event(action: AuditEvent['action'], appliedAtMs: number, latencyMs: number | null): AuditEvent {
  return {
    nodeId: 'web/acme',
    hub: 'tenants',
    form: 'web',
    resourceId: 'ns',
    object: { apiVersion: 'v1', kind: 'Namespace', namespace: null, name: 'acme' },
    action,
    reason: '',
    errorCode: null,
    provenance: { source: 'appdb', table: 'tenants', position: null, commitTsMs: null },
    appliedAtMs: BigInt(appliedAtMs),
    latencyMs: latencyMs === null ? null : BigInt(latencyMs),
    fieldManager: 'rowkube',
  };
}

describe('Observability > dashboard > LatencyPerMinute', () => {
  it('folds writes into the minute of their apply time, with count, mean, max and percentiles', () => {
    const fold = new LatencyPerMinute();
    for (let i = 1; i <= 100; i++) fold.add(T0 + 5_000 + i, i * 10); // 10 … 1000 ms
    fold.add(T0 + MINUTE + 1, 250);
    const chart = fold.chart(T0 + MINUTE + 30_000);
    expect(chart).toHaveLength(60);
    const [first, second] = chart.slice(-2);
    expect(first).toMatchObject({ startMs: T0, count: 100, maxMs: 1000, meanMs: 505 });
    // A percentile is its bin's upper bound: at or above the exact value, at most 19 % over.
    expect(first?.p50Ms).toBeGreaterThanOrEqual(500);
    expect(first?.p50Ms).toBeLessThanOrEqual(500 * 1.19);
    expect(first?.p95Ms).toBeGreaterThanOrEqual(950);
    expect(first?.p95Ms).toBeLessThanOrEqual(1000);
    // One write: every figure is that write, never its bin's bound above it.
    expect(second).toEqual({
      startMs: T0 + MINUTE,
      count: 1,
      p50Ms: 250,
      p95Ms: 250,
      maxMs: 250,
      meanMs: 250,
    });
  });

  it('lists the last hour oldest first, empty minutes included, and forgets older minutes', () => {
    const fold = new LatencyPerMinute();
    fold.add(T0, 100);
    fold.add(T0 + 59 * MINUTE, 200);
    let chart = fold.chart(T0 + 59 * MINUTE);
    expect(chart[0]).toMatchObject({ startMs: T0, count: 1 });
    expect(chart[1]).toEqual({
      startMs: T0 + MINUTE,
      count: 0,
      p50Ms: null,
      p95Ms: null,
      maxMs: null,
      meanMs: null,
    });
    expect(chart[59]).toMatchObject({ startMs: T0 + 59 * MINUTE, count: 1, maxMs: 200 });
    // A write in the next minute pushes the first minute out of the window.
    fold.add(T0 + 60 * MINUTE, 300);
    chart = fold.chart(T0 + 60 * MINUTE);
    expect(chart[0]?.startMs).toBe(T0 + MINUTE);
    expect(chart.filter((minute) => minute.count > 0).map((minute) => minute.maxMs)).toEqual([200, 300]);
    // Reading later than the writes: the chart still ends at the reader's minute.
    expect(fold.chart(T0 + 200 * MINUTE).every((minute) => minute.count === 0)).toBe(true);
  });

  it('counts only writes that know their commit time, and a negative latency as 0', () => {
    const fold = new LatencyPerMinute();
    fold.addEvents([
      event('created', T0 + 1, 40),
      event('configured', T0 + 2, -5),
      event('unchanged', T0 + 3, 9_000),
      event('failed', T0 + 4, 9_000),
      event('created', T0 + 5, null),
    ]);
    const minute = fold.chart(T0).at(-1);
    expect(minute).toMatchObject({ count: 2, maxMs: 40, meanMs: 20 });
    // The lower of the two (0 ms) is in the first bin, which ends at 1 ms.
    expect(minute?.p50Ms).toBeLessThanOrEqual(1);
  });
});
