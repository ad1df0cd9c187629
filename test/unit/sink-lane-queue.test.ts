import { describe, expect, it } from 'vitest';
import { LaneQueue } from '../../src/sink/runner/lane-queue.js';

function drain<T>(queue: LaneQueue<T>): T[] {
  const out: T[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(item);
  return out;
}

describe('sink > lane queue', () => {
  it('serves urgent items before bulk ones, each lane in arrival order', () => {
    const queue = new LaneQueue<string>(8);
    queue.push('bulk', 'b1');
    queue.push('bulk', 'b2');
    queue.push('urgent', 'u1');
    queue.push('bulk', 'b3');
    queue.push('urgent', 'u2');
    expect(queue.size).toBe(5);
    expect(drain(queue)).toEqual(['u1', 'u2', 'b1', 'b2', 'b3']);
    expect(queue.size).toBe(0);
  });

  it('lets one bulk item through after a burst of urgent ones while bulk waits (starvation guard)', () => {
    const queue = new LaneQueue<string>(2);
    for (const item of ['b1', 'b2']) queue.push('bulk', item);
    for (const item of ['u1', 'u2', 'u3', 'u4', 'u5']) queue.push('urgent', item);
    expect(drain(queue)).toEqual(['u1', 'u2', 'b1', 'u3', 'u4', 'b2', 'u5']);
  });

  it('runs a bulk alone without gaps, and counts the burst anew once no bulk waits', () => {
    const queue = new LaneQueue<string>(2);
    for (let i = 0; i < 3_000; i += 1) queue.push('bulk', `b${i}`);
    const served = drain(queue);
    expect(served).toHaveLength(3_000);
    expect(served[2_999]).toBe('b2999');
    // Urgent items with no bulk waiting do not count towards the guard.
    for (const item of ['u1', 'u2', 'u3']) queue.push('urgent', item);
    expect(queue.shift()).toBe('u1');
    expect(queue.shift()).toBe('u2');
    queue.push('bulk', 'b');
    expect(drain(queue)).toEqual(['u3', 'b']);
  });

  it('rejects a burst that is not a positive integer, naming it', () => {
    expect(() => new LaneQueue(0)).toThrow(/urgentBurst must be a positive integer, got 0/);
  });
});
