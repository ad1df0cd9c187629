import { describe, expect, it } from 'vitest';
import { NodeScheduler, type NodeWork, type WorkOutcome } from '../../src/sink/runner/node-scheduler.js';
import { RequestLimiter } from '../../src/sink/runner/request-limiter.js';

class Retriable extends Error {}

function scheduler(handle: (work: NodeWork<number>, signal: AbortSignal, attempt: number) => Promise<void>) {
  const finished: [string, number, WorkOutcome][] = [];
  const failures: [string, number, number | undefined][] = [];
  const controller = new AbortController();
  const nodes = new NodeScheduler<number>({
    handle,
    retriable: (error) => error instanceof Retriable,
    onFailure: (work, _error, retryInMs) => failures.push([work.nodeId, work.payload, retryInMs]),
    onFinished: (work, outcome) => finished.push([work.nodeId, work.payload, outcome]),
    retryInitialMs: 5,
    retryMaxMs: 20,
    signal: controller.signal,
  });
  return { nodes, finished, failures, controller };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

describe('sink > node scheduler', () => {
  it('starts a bulk of new nodes in slices of the event loop, urgent nodes at once', async () => {
    const started: string[] = [];
    const { nodes } = scheduler(async (work) => {
      started.push(work.nodeId);
      // What a node does before its first request: preparing its objects.
      const until = performance.now() + 2;
      while (performance.now() < until) {
        // holds the loop
      }
    });
    let startedBeforeTimer: number | undefined;
    setTimeout(() => {
      startedBeforeTimer = started.length;
    }, 0);
    for (let i = 0; i < 40; i++) nodes.submit({ nodeId: `new${i}`, payload: 1, lane: 'bulk' });
    nodes.submit({ nodeId: 'existing', payload: 1, lane: 'urgent' });
    await nodes.idle();
    expect(started).toHaveLength(41);
    // 40 × 2 ms in one go would run before the timer; the bulk's slices are 10 ms.
    expect(startedBeforeTimer).toBeLessThan(20);
    expect(started.indexOf('existing')).toBeLessThan(10);
  });

  it('runs nodes concurrently and one node in order, the newest record superseding the one in progress', async () => {
    const log: string[] = [];
    const { nodes, finished } = scheduler(async (work, signal) => {
      log.push(`start ${work.nodeId}#${work.payload}`);
      await sleep(30, signal);
      log.push(`end ${work.nodeId}#${work.payload}`);
    });
    nodes.submit({ nodeId: 'a', payload: 1 });
    nodes.submit({ nodeId: 'b', payload: 1 });
    nodes.submit({ nodeId: 'a', payload: 2 }); // waits, and stops a#1
    nodes.submit({ nodeId: 'a', payload: 3 }); // replaces a#2 before it started
    await nodes.idle();
    expect(log.slice(0, 2)).toEqual(['start a#1', 'start b#1']);
    expect(log).not.toContain('start a#2');
    expect(finished).toEqual(
      expect.arrayContaining([
        ['a', 1, 'superseded'],
        ['a', 2, 'superseded'],
        ['a', 3, 'done'],
        ['b', 1, 'done'],
      ]),
    );
    expect(log.indexOf('start a#3')).toBeGreaterThan(log.indexOf('end a#1'));
  });

  it('retries a retriable failure with doubling pauses while other nodes finish; a final failure is done', async () => {
    const { nodes, finished, failures } = scheduler(async (work, _signal, attempt) => {
      if (work.nodeId === 'flaky' && attempt < 4) throw new Retriable('try again');
      if (work.nodeId === 'broken') throw new Error('invalid object');
    });
    nodes.submit({ nodeId: 'flaky', payload: 1 });
    nodes.submit({ nodeId: 'healthy', payload: 1 });
    nodes.submit({ nodeId: 'broken', payload: 1 });
    await nodes.idle();
    expect(failures.filter(([id]) => id === 'flaky').map(([, , pause]) => pause)).toEqual([5, 10, 20]);
    expect(failures.filter(([id]) => id === 'broken')).toEqual([['broken', 1, undefined]]);
    expect(finished.map(([id]) => id)).toEqual(['healthy', 'broken', 'flaky']);
  });

  it('stops work in progress on shutdown as stopped', async () => {
    const { nodes, finished, controller } = scheduler(async (_work, signal) => sleep(10_000, signal));
    nodes.submit({ nodeId: 'a', payload: 1 });
    controller.abort();
    await nodes.idle();
    expect(finished).toEqual([['a', 1, 'stopped']]);
  });
});

describe('sink > request limiter', () => {
  it('never has more requests in flight than its limit', async () => {
    const limiter = new RequestLimiter(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limiter.run(async () => {
          active += 1;
          peak = Math.max(peak, active);
          await sleep(2);
          active -= 1;
        }),
      ),
    );
    expect(peak).toBe(3);
  });
});

describe('sink > node scheduler > lanes', () => {
  function laned(maxStarted: number) {
    const started: string[] = [];
    const release = new Map<string, () => void>();
    const finished: [string, WorkOutcome][] = [];
    const controller = new AbortController();
    const nodes = new NodeScheduler<number>({
      handle: (work, signal) =>
        new Promise<void>((resolve) => {
          started.push(work.nodeId);
          release.set(work.nodeId, resolve);
          signal.addEventListener('abort', () => resolve());
        }),
      retriable: () => false,
      onFailure: () => {},
      onFinished: (work, outcome) => finished.push([work.nodeId, outcome]),
      retryInitialMs: 5,
      retryMaxMs: 20,
      maxStarted,
      signal: controller.signal,
    });
    const done = async (nodeId: string) => {
      release.get(nodeId)?.();
      await sleep(0);
    };
    return { nodes, started, finished, done, controller };
  }

  it('parks bulk work beyond maxStarted and starts it in arrival order as nodes finish', async () => {
    const { nodes, started, done } = laned(2);
    for (const nodeId of ['n1', 'n2', 'n3', 'n4']) nodes.submit({ nodeId, payload: 1, lane: 'bulk' });
    await sleep(0);
    expect(started).toEqual(['n1', 'n2']);
    expect(nodes.busy).toBe(4);
    await done('n1');
    expect(started).toEqual(['n1', 'n2', 'n3']);
    await done('n2');
    await done('n3');
    await done('n4');
    expect(started).toEqual(['n1', 'n2', 'n3', 'n4']);
    await nodes.idle();
  });

  it('starts urgent work at once, past parked bulk work', async () => {
    const { nodes, started, done } = laned(1);
    nodes.submit({ nodeId: 'new1', payload: 1, lane: 'bulk' });
    nodes.submit({ nodeId: 'new2', payload: 1, lane: 'bulk' });
    nodes.submit({ nodeId: 'old', payload: 1, lane: 'urgent' });
    await sleep(0);
    expect(started).toEqual(['new1', 'old']);
    await done('old');
    await done('new1');
    await done('new2');
    expect(started).toEqual(['new1', 'old', 'new2']);
    await nodes.idle();
  });

  it('a newer record of a parked node replaces the parked one; an urgent one starts it at once', async () => {
    const { nodes, started, finished, done } = laned(1);
    nodes.submit({ nodeId: 'a', payload: 1, lane: 'bulk' });
    nodes.submit({ nodeId: 'b', payload: 1, lane: 'bulk' });
    nodes.submit({ nodeId: 'b', payload: 2, lane: 'bulk' });
    expect(finished).toEqual([['b', 'superseded']]);
    nodes.submit({ nodeId: 'b', payload: 3, lane: 'urgent' });
    await sleep(0);
    expect(started).toEqual(['a', 'b']);
    expect(finished).toEqual([
      ['b', 'superseded'],
      ['b', 'superseded'],
    ]);
    await done('a');
    await done('b');
    await nodes.idle();
    expect(started).toEqual(['a', 'b']);
  });

  it('ends parked work as stopped when stopped, and idle() resolves', async () => {
    const { nodes, finished, controller } = laned(1);
    nodes.submit({ nodeId: 'a', payload: 1, lane: 'bulk' });
    nodes.submit({ nodeId: 'b', payload: 1, lane: 'bulk' });
    await sleep(0);
    controller.abort();
    await nodes.idle();
    expect(finished).toContainEqual(['b', 'stopped']);
    expect(nodes.busy).toBe(0);
  });
});

describe('sink > request limiter > lanes', () => {
  it('hands a free slot to an urgent request before bulk requests queued earlier', async () => {
    const { inLane } = await import('../../src/sink/runner/request-lane.js');
    const limiter = new RequestLimiter(1);
    const order: string[] = [];
    let release: () => void = () => {};
    const first = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
    const bulk = [1, 2, 3].map((i) =>
      inLane('bulk', () => limiter.run(async () => void order.push(`bulk${i}`))),
    );
    const urgent = inLane('urgent', () => limiter.run(async () => void order.push('urgent')));
    await sleep(0);
    release();
    await Promise.all([first, ...bulk, urgent]);
    expect(order).toEqual(['urgent', 'bulk1', 'bulk2', 'bulk3']);
  });
});
