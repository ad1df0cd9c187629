import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DesiredShare } from '../../src/sink/runner/desired-share.js';
import { PartitionCatchUp, type PartitionValues } from '../../src/sink/runner/partition-catch-up.js';

// A replica that took partitions over reads them in the background and
// learns their values; reads answer the assignment they were started for.
// The read here is a function the test answers by hand: no Kafka.

interface PendingRead {
  partitions: readonly number[];
  from: ReadonlyMap<number, bigint>;
  signal: AbortSignal;
  answer: (values: PartitionValues<string>) => void;
  fail: (error: Error) => void;
}

function setUp() {
  const share = new DesiredShare<string>(10_000);
  const reads: PendingRead[] = [];
  const learned: string[][] = [];
  const stop = new AbortController();
  const catchUp = new PartitionCatchUp<string>({
    share,
    read: (partitions, from, signal) =>
      new Promise((answer, fail) => reads.push({ partitions, from, signal, answer, fail })),
    onLearned: (nodeIds) => learned.push(nodeIds),
    logger: pino({ level: 'silent' }),
    signal: stop.signal,
    retryMs: 1,
  });
  const assign = (partitions: number[]) => catchUp.assigned(share.assigned(partitions));
  /** The first assignment, whose read (from where the read at start ended) finds nothing new. */
  const join = async (partitions: number[]) => {
    assign(partitions);
    reads.shift()?.answer(new Map());
    await catchUp.idle();
  };
  return { share, reads, learned, stop, catchUp, assign, join };
}

const values = (entries: Record<number, Record<string, string | null>>): PartitionValues<string> =>
  new Map(Object.entries(entries).map(([p, nodes]) => [Number(p), new Map(Object.entries(nodes))]));

describe('sink > PartitionCatchUp', () => {
  it('at the first assignment, reads each partition on from where the read at start ended', async () => {
    const { share, reads, learned, catchUp, assign } = setUp();
    share.seed('a', 0, 'a1');
    share.seededTo(new Map([[0, 7n]]));
    assign([0, 1]);
    expect(reads.map((r) => [r.partitions, [...r.from]])).toEqual([
      [
        [0, 1],
        [
          [0, 7n],
          [1, 0n],
        ],
      ],
    ]);
    // What the read at start has is trusted meanwhile, as before.
    expect(share.correction('a')).toBe('a1');
    // Another replica consumed a2 before this one joined; its record is not consumed here again.
    reads[0]?.answer(values({ 0: { a: 'a2' } }));
    await catchUp.idle();
    expect(share.correction('a')).toBe('a2');
    // Not handed on to be checked: a lone replica's consumer applies such records itself.
    expect(learned).toEqual([]);
  });

  it('reads only the partitions taken over, then their nodes are correctable', async () => {
    const { share, reads, learned, catchUp, assign, join } = setUp();
    await join([0]);
    expect(reads).toHaveLength(0);
    assign([0, 1, 2]);
    expect(reads.map((r) => r.partitions)).toEqual([[1, 2]]);
    expect(share.correction('b')).toBeNull();
    reads[0]?.answer(values({ 1: { b: 'b2' }, 2: { c: 'c2', d: null } }));
    await catchUp.idle();
    expect(learned).toEqual([['b', 'c']]);
    expect(share.correction('b')).toBe('b2');
    expect(share.correction('c')).toBe('c2');
    expect(share.correction('d')).toBeNull();
  });

  it('stops a read whose partitions were all revoked before it ended, and learns nothing from it', async () => {
    const { share, reads, learned, catchUp, assign, join } = setUp();
    await join([0]);
    assign([0, 1]);
    assign([0]);
    expect(reads[0]?.signal.aborted).toBe(true);
    reads[0]?.answer(values({ 1: { b: 'b2' } }));
    await catchUp.idle();
    expect(learned).toEqual([]);
    expect(share.correction('b')).toBeNull();
  });

  it('keeps a read of which one partition is still assigned, and learns only that one', async () => {
    const { share, reads, learned, catchUp, assign, join } = setUp();
    await join([0]);
    assign([0, 1, 2]);
    assign([0, 2]);
    expect(reads[0]?.signal.aborted).toBe(false);
    reads[0]?.answer(values({ 1: { b: 'b2' }, 2: { c: 'c2' } }));
    await catchUp.idle();
    expect(learned).toEqual([['c']]);
    expect(share.correction('b')).toBeNull();
  });

  it('a partition lost and got back is read again; the first read does not count', async () => {
    const { share, reads, catchUp, assign, join } = setUp();
    await join([0]);
    assign([0, 1]);
    assign([0]);
    assign([0, 1]);
    expect(reads.map((r) => r.partitions)).toEqual([[1], [1]]);
    reads[0]?.answer(values({ 1: { b: 'old' } }));
    await Promise.resolve();
    expect(share.correction('b')).toBeNull();
    reads[1]?.answer(values({ 1: { b: 'new' } }));
    await catchUp.idle();
    expect(share.correction('b')).toBe('new');
  });

  it('tries a failed read again, for the partitions still assigned', async () => {
    const { share, reads, catchUp, assign, join } = setUp();
    await join([0]);
    assign([0, 1]);
    reads[0]?.fail(new Error('broker gone'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reads.map((r) => r.partitions)).toEqual([[1], [1]]);
    reads[1]?.answer(values({ 1: { b: 'b2' } }));
    await catchUp.idle();
    expect(share.correction('b')).toBe('b2');
  });

  it('learns nothing from a read cut short by stopping', async () => {
    const { share, reads, learned, stop, catchUp, assign, join } = setUp();
    await join([0]);
    assign([0, 1]);
    stop.abort();
    // A reader resolves with what it had when aborted.
    reads[0]?.answer(values({ 1: { b: 'part' } }));
    await catchUp.idle();
    expect(learned).toEqual([]);
    expect(share.correction('b')).toBeNull();
  });
});
