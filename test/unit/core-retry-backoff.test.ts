import { describe, expect, it } from 'vitest';
import { RetryBackoff } from '../../src/core/retry-backoff.js';

describe('core > retry backoff', () => {
  it('doubles up to the ceiling, each pause drawn from the upper half of its step', () => {
    const low = new RetryBackoff({ initialMs: 100, maxMs: 500, random: () => 0 });
    expect([low.next(), low.next(), low.next(), low.next(), low.next()]).toEqual([50, 100, 200, 250, 250]);
    const high = new RetryBackoff({ initialMs: 100, maxMs: 500, random: () => 0.999_999 });
    expect([high.next(), high.next(), high.next(), high.next()]).toEqual([100, 200, 400, 500]);
  });

  it('spreads pauses at random, and starts over after reset', () => {
    const backoff = new RetryBackoff({ initialMs: 1_000, maxMs: 60_000 });
    const pauses = new Set(
      Array.from({ length: 20 }, () => {
        backoff.reset();
        return backoff.next();
      }),
    );
    expect(pauses.size).toBeGreaterThan(1);
    for (const pause of pauses) {
      expect(pause).toBeGreaterThanOrEqual(500);
      expect(pause).toBeLessThanOrEqual(1_000);
    }
  });
});
