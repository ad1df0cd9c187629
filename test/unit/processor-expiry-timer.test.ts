import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpiryTimer } from '../../src/processor/runner/expiry-timer.js';

describe('Processor > runner > ExpiryTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires once at the earliest time, and follows a moved time', () => {
    let next: number | undefined = 5_000;
    const fired: number[] = [];
    const timer = new ExpiryTimer(
      () => next,
      () => fired.push(Date.now()),
    );
    timer.arm();
    timer.arm(); // the same time: still one timer
    expect(vi.getTimerCount()).toBe(1);
    next = 8_000; // extended
    timer.arm();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(6_000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(2_000);
    expect(fired).toEqual([8_000]);
  });

  it('sets no timer when nothing expires, and stop() clears it', () => {
    let next: number | undefined;
    const timer = new ExpiryTimer(
      () => next,
      () => undefined,
    );
    timer.arm();
    expect(vi.getTimerCount()).toBe(0);
    next = 2_000;
    timer.arm();
    timer.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires at once for a time already past', () => {
    const fired: number[] = [];
    new ExpiryTimer(
      () => 10,
      () => fired.push(Date.now()),
    ).arm();
    vi.advanceTimersByTime(0);
    expect(fired).toEqual([1_000]);
  });
});
