import { describe, expect, it } from 'vitest';
import { abortableSleep } from '../../src/core/abortable-sleep.js';

describe('Core > abortableSleep', () => {
  it('resolves after the time when nothing aborts', async () => {
    const started = Date.now();
    await abortableSleep(20, new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('resolves at once on abort, also for an endless wait, and leaves no listener behind', async () => {
    const controller = new AbortController();
    let removed = 0;
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      removed++;
      remove(...args);
    };
    const waiting = abortableSleep(Number.POSITIVE_INFINITY, controller.signal);
    controller.abort();
    await waiting;
    await abortableSleep(10, controller.signal); // already aborted: no wait at all
    const timed = new AbortController();
    const removeTimed = timed.signal.removeEventListener.bind(timed.signal);
    let timedRemoved = 0;
    timed.signal.removeEventListener = (...args: Parameters<typeof removeTimed>) => {
      timedRemoved++;
      removeTimed(...args);
    };
    await abortableSleep(1, timed.signal);
    expect(removed).toBe(1);
    expect(timedRemoved).toBe(1);
  });
});
