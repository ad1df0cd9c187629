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
