import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { driftPass, runDriftPasses } from '../../src/sink/runner/drift-passes.js';

// The timed drift pass is spread over its interval, waits while the sink is
// busy, and runs pass after pass without overlap until stopped.

const logger = pino({ level: 'silent' });

describe('Sink > drift passes', () => {
  it('spreads one pass over its interval instead of submitting every node at once', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `n${i}`);
    const submittedAt: number[] = [];
    const startedAt = Date.now();
    const checked = await driftPass(ids, {
      intervalMs: 400,
      nodeIds: () => ids,
      check: () => {
        submittedAt.push(Date.now() - startedAt);
        return true;
      },
      busy: () => 0,
      maxBusy: 1_000,
      logger,
      signal: new AbortController().signal,
      tickMs: 20,
    });
    expect(checked).toBe(40);
    // Not a burst: the first half is submitted in the first half of the interval, the rest later.
    expect(submittedAt[0]).toBeLessThan(100);
    expect(submittedAt[19]).toBeLessThan(300);
    expect(submittedAt[39]).toBeGreaterThanOrEqual(300);
  });

  it('waits while the sink has maxBusy nodes in progress, and counts only the nodes it submitted', async () => {
    const ids = ['a', 'b', 'c', 'd'];
    let busy = 2;
    const seen: string[] = [];
    setTimeout(() => {
      busy = 0;
    }, 150);
    const checked = await driftPass(ids, {
      intervalMs: 40,
      nodeIds: () => ids,
      check: (id) => {
        seen.push(`${id}@${busy}`);
        return id !== 'b';
      },
      busy: () => busy,
      maxBusy: 2,
      logger,
      signal: new AbortController().signal,
      tickMs: 10,
    });
    expect(seen).toEqual(['a@0', 'b@0', 'c@0', 'd@0']);
    expect(checked).toBe(3);
  });

  it('starts the first pass one interval after it runs, passes one after the other, and stops on abort', async () => {
    const stop = new AbortController();
    const passes: number[] = [];
    const startedAt = Date.now();
    let inPass = 0;
    const running = runDriftPasses({
      intervalMs: 100,
      nodeIds: () => {
        passes.push(Date.now() - startedAt);
        return ['x', 'y'];
      },
      check: () => {
        inPass++;
        return true;
      },
      busy: () => 0,
      maxBusy: 10,
      logger,
      signal: stop.signal,
      tickMs: 10,
    });
    await new Promise((resolve) => setTimeout(resolve, 350));
    stop.abort();
    await running;
    expect(passes[0]).toBeGreaterThanOrEqual(95);
    expect(passes.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < passes.length; i++)
      expect((passes[i] as number) - (passes[i - 1] as number)).toBeGreaterThanOrEqual(95);
    expect(inPass).toBeGreaterThanOrEqual(2 * (passes.length - 1));
  });
});
