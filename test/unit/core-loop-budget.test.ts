import { describe, expect, it } from 'vitest';
import { LoopBudget } from '../../src/core/loop-budget.js';

/** Busy work of about `ms`, as a render of many rows is. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // holds the loop
  }
}

/** Items of `ms` each, each after a turn of the budget; records each item done under `name`. */
async function work(
  budget: LoopBudget,
  items: number,
  ms: number,
  done: string[],
  name: string,
): Promise<void> {
  for (let i = 0; i < items; i++) {
    const turn = budget.turn();
    if (turn !== undefined) await turn;
    spin(ms);
    done.push(name);
  }
}

describe('Core > LoopBudget', () => {
  it('goes on at once within the slice', () => {
    const budget = new LoopBudget(50);
    expect(budget.turn()).toBeUndefined();
    expect(budget.turn()).toBeUndefined();
  });

  it('lets a timer that waits run between slices of a long loop', async () => {
    const budget = new LoopBudget(10);
    const done: string[] = [];
    let timerAfter: number | undefined;
    setTimeout(() => {
      timerAfter = done.length;
    }, 0);
    await work(budget, 40, 2, done, 'item');
    expect(done).toHaveLength(40);
    // Without the budget the timer would run after all 40 items (80 ms).
    expect(timerAfter).toBeDefined();
    expect(timerAfter).toBeLessThan(15);
  });

  it('measures each waiter against the slice, so many waiters do not run in one go', async () => {
    const budget = new LoopBudget(10);
    const done: string[] = [];
    let timerAfter: number | undefined;
    setTimeout(() => {
      timerAfter = done.length;
    }, 0);
    // 30 concurrent tasks of one 2-ms item each, all started in the same turn.
    await Promise.all(Array.from({ length: 30 }, (_, i) => work(budget, 1, 2, done, `task${i}`)));
    expect(done).toHaveLength(30);
    expect(timerAfter).toBeLessThan(15);
  });

  it('refuses a slice that is not above 0', () => {
    expect(() => new LoopBudget(0)).toThrow(/sliceMs must be above 0, got 0/);
  });
});
