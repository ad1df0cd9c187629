import { describe, expect, it } from 'vitest';
import { CrashLatch } from '../../src/core/crash-latch.js';
import { trackedRecords, transactionalBatches } from '../../src/kafka/batch-handlers.js';
import type { TrackedHandler, TransactionalHandler } from '../../src/kafka/consumer-loop.js';
import type { BatchControls, ConsumedBatch } from '../../src/kafka/group-consumer.js';
import { OffsetTracker } from '../../src/kafka/offset-tracker.js';
import { SerialQueue } from '../../src/kafka/serial-queue.js';
import { TrackedCommits } from '../../src/kafka/tracked-commits.js';

function batchOf(partition: number, offsets: bigint[], topic = 'in'): ConsumedBatch {
  return {
    topic,
    partition,
    records: offsets.map((offset) => ({ partition, offset, key: null, value: null, headers: {} })),
    next: (offsets[offsets.length - 1] ?? 0n) + 1n,
  };
}

function controls(active = () => true): BatchControls & { resolved: number; heartbeats: number } {
  const state = {
    resolved: 0,
    heartbeats: 0,
    active,
    heartbeat: async () => {
      state.heartbeats += 1;
    },
    resolve: () => {
      state.resolved += 1;
    },
  };
  return state;
}

describe('kafka > consumer loop > transactional batches', () => {
  const group = { groupId: 'g', topics: ['in'], sessionTimeoutMs: 15_000 };

  it('commits a batch with the offset after its last record, then moves past it', async () => {
    const seen: unknown[] = [];
    const handler: TransactionalHandler = {
      commits: 'transactional',
      group,
      onBatch: async (batch, offsets) => {
        seen.push(offsets);
        return batch.partition === 0;
      },
    };
    const handlers = transactionalBatches(handler, new CrashLatch(), new SerialQueue());
    const taken = controls();
    await handlers.onBatch(batchOf(0, [4n, 5n, 6n]), taken);
    expect(seen).toEqual([{ groupId: 'g', topic: 'in', partition: 0, next: 7n }]);
    expect(taken.resolved).toBe(1);
    expect(taken.heartbeats).toBe(1);

    // A batch the handler leaves (a partition its state is not for) is not moved past.
    const left = controls();
    await handlers.onBatch(batchOf(1, [0n]), left);
    expect(left.resolved).toBe(0);
  });

  it('runs the take-over of an assignment before the first batch after it', async () => {
    const order: string[] = [];
    let finishTakeOver: () => void = () => undefined;
    const handler: TransactionalHandler = {
      commits: 'transactional',
      group,
      onAssignment: async () => {
        order.push('take-over started');
        await new Promise<void>((resolve) => {
          finishTakeOver = resolve;
        });
        order.push('take-over done');
      },
      onBatch: async () => {
        order.push('batch');
        return true;
      },
    };
    const handlers = transactionalBatches(handler, new CrashLatch(), new SerialQueue());
    handlers.onAssignment(new Map([['in', [0]]]));
    const batch = handlers.onBatch(batchOf(0, [0n]), controls());
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['take-over started']);
    finishTakeOver();
    await batch;
    expect(order).toEqual(['take-over started', 'take-over done', 'batch']);
  });

  it('processes nothing after a failure: later batches reject without reaching the handler', async () => {
    let calls = 0;
    const handler: TransactionalHandler = {
      commits: 'transactional',
      group,
      onBatch: async () => {
        calls += 1;
        throw new Error('transaction failed');
      },
    };
    const latch = new CrashLatch();
    const handlers = transactionalBatches(handler, latch, new SerialQueue());
    await expect(handlers.onBatch(batchOf(0, [0n]), controls())).rejects.toThrow('transaction failed');
    await expect(latch.crashed).rejects.toThrow('transaction failed');
    const next = controls();
    await expect(handlers.onBatch(batchOf(0, [1n]), next)).rejects.toThrow('transaction failed');
    expect(calls).toBe(1);
    expect(next.resolved).toBe(0);
  });

  it('a failed take-over ends the attempt', async () => {
    const handler: TransactionalHandler = {
      commits: 'transactional',
      group,
      onAssignment: async () => {
        throw new Error('rebuild failed');
      },
      onBatch: async () => true,
    };
    const latch = new CrashLatch();
    transactionalBatches(handler, latch, new SerialQueue()).onAssignment(new Map());
    await expect(latch.crashed).rejects.toThrow('rebuild failed');
  });

  it('leaves a batch untouched once the consumer stops', async () => {
    let calls = 0;
    const handler: TransactionalHandler = {
      commits: 'transactional',
      group,
      onBatch: async () => {
        calls += 1;
        return true;
      },
    };
    const stopping = controls(() => false);
    await transactionalBatches(handler, new CrashLatch(), new SerialQueue()).onBatch(
      batchOf(0, [0n]),
      stopping,
    );
    expect(calls).toBe(0);
    expect(stopping.resolved).toBe(0);
  });
});

describe('kafka > consumer loop > tracked records', () => {
  const group = { groupId: 'g', topics: ['in'], sessionTimeoutMs: 10_000 };

  function trackedHandler(tracker: OffsetTracker, onRecord: TrackedHandler['onRecord']): TrackedHandler {
    return { commits: 'tracked', group, tracker, commitIntervalMs: 200, maxInFlight: 2, onRecord };
  }

  it('commits only up to the first record not handled, and nothing when nothing moved', async () => {
    const tracker = new OffsetTracker();
    const sent: Map<number, bigint>[] = [];
    const commits = new TrackedCommits('in', tracker, async (offsets) => {
      sent.push(new Map(offsets));
    });
    const handled: bigint[] = [];
    const handlers = trackedRecords(
      trackedHandler(tracker, async (record) => {
        handled.push(record.offset);
        // The record at offset 1 is slow; the others finish at once.
        if (record.offset !== 1n) tracker.done(record.partition, record.offset);
      }),
      commits,
      new CrashLatch(),
      new AbortController().signal,
    );
    await handlers.onBatch(batchOf(0, [0n, 1n]), controls());
    expect(handled).toEqual([0n, 1n]);
    await commits.commit();
    await commits.commit();
    expect(sent).toEqual([new Map([[0, 1n]])]);

    tracker.done(0, 1n);
    await commits.commit();
    expect(sent[1]).toEqual(new Map([[0, 2n]]));
  });

  it('keeps what a failed commit did not commit for the next one', async () => {
    const tracker = new OffsetTracker();
    let fail = true;
    const sent: Map<number, bigint>[] = [];
    const commits = new TrackedCommits('in', tracker, async (offsets) => {
      if (fail) throw new Error('coordinator moved');
      sent.push(new Map(offsets));
    });
    tracker.started(0, 0n);
    tracker.done(0, 0n);
    await expect(commits.commit()).rejects.toThrow('coordinator moved');
    fail = false;
    await commits.commit();
    expect(sent).toEqual([new Map([[0, 1n]])]);
  });

  it('forgets partitions a new assignment hands to another member', () => {
    const tracker = new OffsetTracker();
    const commits = new TrackedCommits('in', tracker, async () => undefined);
    tracker.started(0, 3n);
    tracker.started(1, 7n);
    const handlers = trackedRecords(
      trackedHandler(tracker, async () => undefined),
      commits,
      new CrashLatch(),
      new AbortController().signal,
    );
    handlers.onAssignment(new Map([['in', [1]]]));
    expect(tracker.partitions()).toEqual([1]);
  });

  it('waits while too many records are unhandled, heartbeating', async () => {
    const tracker = new OffsetTracker();
    const commits = new TrackedCommits('in', tracker, async () => undefined);
    const handled: bigint[] = [];
    const handlers = trackedRecords(
      trackedHandler(tracker, async (record) => {
        handled.push(record.offset);
      }),
      commits,
      new CrashLatch(),
      new AbortController().signal,
    );
    const batch = controls();
    const feeding = handlers.onBatch(batchOf(0, [0n, 1n, 2n]), batch);
    await new Promise((resolve) => setTimeout(resolve, 120));
    // maxInFlight is 2: the third record waits for one of the first two.
    expect(handled).toEqual([0n, 1n]);
    expect(batch.heartbeats).toBeGreaterThan(0);
    tracker.done(0, 0n);
    await feeding;
    expect(handled).toEqual([0n, 1n, 2n]);
  });

  it('stops at a record that fails: nothing after it is tracked or handed over', async () => {
    const tracker = new OffsetTracker();
    const commits = new TrackedCommits('in', tracker, async () => undefined);
    const handled: bigint[] = [];
    const latch = new CrashLatch();
    const handlers = trackedRecords(
      trackedHandler(tracker, async (record) => {
        if (record.offset === 1n) throw new Error('undecodable');
        handled.push(record.offset);
        tracker.done(record.partition, record.offset);
      }),
      commits,
      latch,
      new AbortController().signal,
    );
    await expect(handlers.onBatch(batchOf(0, [0n, 1n, 2n]), controls())).rejects.toThrow('undecodable');
    await expect(latch.crashed).rejects.toThrow('undecodable');
    expect(handled).toEqual([0n]);
    // The failed record holds the committed offset back: a restart reads it again.
    expect(tracker.committable()).toEqual(new Map([[0, 1n]]));
    await expect(handlers.onBatch(batchOf(0, [3n]), controls())).rejects.toThrow('undecodable');
  });
});
