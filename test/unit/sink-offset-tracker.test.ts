import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../../src/kafka/offset-tracker.js';

describe('sink > offset tracker', () => {
  it('commits up to the first record not done, per partition', () => {
    const tracker = new OffsetTracker();
    for (const offset of [10n, 11n, 12n]) tracker.started(0, offset);
    tracker.started(1, 5n);
    expect(tracker.committable()).toEqual(
      new Map([
        [0, 10n],
        [1, 5n],
      ]),
    );

    // 11 and 12 finish before 10 (a slow node): nothing past 10 may be committed.
    tracker.done(0, 11n);
    tracker.done(0, 12n);
    tracker.done(1, 5n);
    const next = tracker.committable();
    expect(next).toEqual(
      new Map([
        [0, 10n],
        [1, 6n],
      ]),
    );
    tracker.markCommitted(next);
    expect(tracker.committable()).toEqual(new Map());

    tracker.done(0, 10n);
    expect(tracker.committable()).toEqual(new Map([[0, 13n]]));
    expect(tracker.inFlight).toBe(0);
  });

  it('forgets a revoked partition', () => {
    const tracker = new OffsetTracker();
    tracker.started(3, 1n);
    tracker.forget(3);
    expect(tracker.committable()).toEqual(new Map());
    expect(tracker.inFlight).toBe(0);
  });
});
