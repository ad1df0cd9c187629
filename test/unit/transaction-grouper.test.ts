import { describe, expect, it } from 'vitest';
import type { CommitInfo } from '../../src/core/change-event.js';
import type { SourceContext } from '../../src/kafka/change-encoder.js';
import {
  type GrouperAction,
  TransactionGrouper,
  type TransactionGrouperOptions,
} from '../../src/kafka/transaction-grouper.js';

// The grouper alone, with a fake clock (the `now` passed to each call): a
// change is a string, its encoding is the same string, and a ticket is the
// position's number. What a writer would do with the actions is checked by
// test/unit/kafka-change-sink.test.ts.

type Action = GrouperAction<string, number>;

function grouper(options: Partial<TransactionGrouperOptions<string, string>> = {}) {
  const contexts: SourceContext[] = [];
  const g = new TransactionGrouper<string, string, number>({
    chunkSize: 3,
    lingerMs: 5,
    maxBatch: 100,
    encode: (changes, context) => {
      contexts.push(context);
      return { messages: [...changes], events: changes.length };
    },
    ...options,
  });
  return { g, contexts };
}

const info = (pos: number): CommitInfo => ({ position: { pos }, commitTsMs: 1000 + pos, txId: `tx-${pos}` });
const commitOf = (pos: number[], messages: string[]): Action => ({
  kind: 'commit',
  messages,
  position: { pos: pos[pos.length - 1] as number },
  tickets: pos,
});

describe('Kafka > TransactionGrouper > linger', () => {
  it('commits a group once the writer is idle and lingerMs passed since its first change', () => {
    const { g } = grouper();
    expect(g.append('a', 100)).toEqual([]);
    expect(g.commit(info(1), 1, 102)).toEqual([]);
    expect(g.state).toBe('filling');
    expect(g.dueAt).toBe(105);
    expect(g.tick(104)).toEqual([]);
    expect(g.tick(105)).toEqual([commitOf([1], ['a'])]);
    expect(g.state).toBe('idle');
    expect(g.dueAt).toBeUndefined();
  });

  it('lets source commits share one Kafka transaction, which writes only the last position', () => {
    const { g } = grouper({ chunkSize: 100 });
    g.append('a', 0);
    g.commit(info(1), 1, 0);
    g.append('b', 1);
    g.append('c', 1);
    g.commit(info(2), 2, 2);
    g.commit(info(3), 3, 3);
    expect(g.tick(10)).toEqual([commitOf([1, 2, 3], ['a', 'b', 'c'])]);
  });

  it('starts the linger of a transaction without changes at its commit', () => {
    const { g } = grouper();
    g.commit(info(1), 1, 50);
    expect(g.dueAt).toBe(55);
  });

  it('commits at once after expedite() (flush), whatever lingerMs says', () => {
    const { g } = grouper({ lingerMs: 60_000 });
    g.append('a', 0);
    g.commit(info(1), 1, 0);
    expect(g.tick(1)).toEqual([]);
    g.expedite();
    expect(g.tick(1)).toEqual([commitOf([1], ['a'])]);
  });

  it('keeps a transaction being appended out of the group it commits', () => {
    const { g } = grouper();
    g.append('a', 0);
    g.commit(info(1), 1, 0);
    g.append('b', 1);
    expect(g.tick(5)).toEqual([commitOf([1], ['a'])]);
    expect(g.state).toBe('reading');
    g.commit(info(2), 2, 6);
    // Its linger started with its first change.
    expect(g.dueAt).toBe(6);
    expect(g.tick(6)).toEqual([commitOf([2], ['b'])]);
  });
});

describe('Kafka > TransactionGrouper > maxBatch and chunks', () => {
  it('commits a group once it holds maxBatch events, without a tick', () => {
    const { g } = grouper({ maxBatch: 3, chunkSize: 100, lingerMs: 60_000 });
    g.append('a', 0);
    g.append('b', 0);
    expect(g.commit(info(1), 1, 0)).toEqual([]);
    g.append('c', 1);
    expect(g.commit(info(2), 2, 1)).toEqual([commitOf([1, 2], ['a', 'b', 'c'])]);
    expect(g.state).toBe('idle');
  });

  it('sends a group in chunks while it fills, and commits the rest with the position', () => {
    const { g } = grouper({ chunkSize: 3, maxBatch: 100 });
    g.append('a', 0);
    g.append('b', 0);
    expect(g.commit(info(1), 1, 0)).toEqual([]);
    expect(g.pendingMessages).toBe(2);
    g.append('c', 1);
    expect(g.commit(info(2), 2, 1)).toEqual([{ kind: 'send', messages: ['a', 'b', 'c'] }]);
    expect(g.pendingMessages).toBe(0);
    g.append('d', 2);
    g.commit(info(3), 3, 2);
    expect(g.tick(5)).toEqual([commitOf([1, 2, 3], ['d'])]);
  });
});

describe('Kafka > TransactionGrouper > a big transaction', () => {
  it('commits the group before the first chunk spills, then sends chunks before the commit', () => {
    const { g, contexts } = grouper({ chunkSize: 2, lingerMs: 60_000 });
    g.append('a', 0);
    g.commit(info(1), 1, 0);
    expect(g.append('big1', 7)).toEqual([]);
    expect(g.append('big2', 8)).toEqual([commitOf([1], ['a']), { kind: 'send', messages: ['big1', 'big2'] }]);
    expect(g.state).toBe('spilling');
    // A chunk has no position yet; the transaction's first change stands in for its commit time.
    expect(contexts[contexts.length - 1]).toEqual({ snapshot: false, tsMs: 7 });
    expect(g.append('big3', 9)).toEqual([]);
    expect(g.append('big4', 9)).toEqual([{ kind: 'send', messages: ['big3', 'big4'] }]);
    g.append('big5', 10);
    // Nothing to commit while the big transaction is open, however late.
    expect(g.tick(1_000_000)).toEqual([]);
    expect(g.commit(info(2), 2, 11)).toEqual([commitOf([2], ['big5'])]);
    expect(contexts[contexts.length - 1]).toEqual({
      snapshot: false,
      txId: 'tx-2',
      position: { pos: 2 },
      tsMs: 1002,
    });
    expect(g.state).toBe('idle');
  });

  it('spills without a commit first when no group waits', () => {
    const { g } = grouper({ chunkSize: 2 });
    g.append('a', 0);
    expect(g.append('b', 0)).toEqual([{ kind: 'send', messages: ['a', 'b'] }]);
  });

  it('commits a spilled transaction alone, even when maxBatch and lingerMs would wait', () => {
    const { g } = grouper({ chunkSize: 2, lingerMs: 60_000, maxBatch: 1000 });
    g.append('a', 0);
    g.append('b', 0);
    expect(g.commit(info(1), 1, 0)).toEqual([commitOf([1], [])]);
  });
});

describe('Kafka > TransactionGrouper > position-only commits', () => {
  it('commits a position without messages', () => {
    const { g } = grouper();
    expect(g.commit(info(1), 1, 0)).toEqual([]);
    expect(g.commit(info(2), 2, 1)).toEqual([]);
    expect(g.tick(5)).toEqual([commitOf([1, 2], [])]);
  });
});

describe('Kafka > TransactionGrouper > abort', () => {
  it('drops a transaction that did not spill, keeping the committed group', () => {
    const { g } = grouper();
    g.append('a', 0);
    g.commit(info(1), 1, 0);
    g.append('lost', 1);
    expect(g.abort()).toEqual([]);
    expect(g.state).toBe('filling');
    expect(g.tick(5)).toEqual([commitOf([1], ['a'])]);
    g.append('lost', 6);
    expect(g.abort()).toEqual([]);
    expect(g.state).toBe('idle');
  });

  it('aborts the Kafka transaction that holds the chunks of a dropped transaction', () => {
    const { g } = grouper({ chunkSize: 2 });
    g.append('a', 0);
    g.append('b', 0);
    g.append('c', 0);
    expect(g.abort()).toEqual([{ kind: 'abort' }]);
    expect(g.state).toBe('idle');
    g.append('a', 1);
    expect(g.commit(info(1), 1, 1)).toEqual([]);
    expect(g.tick(6)).toEqual([commitOf([1], ['a'])]);
  });

  it('hands back the tickets not delivered on reset()', () => {
    const { g } = grouper();
    g.commit(info(1), 1, 0);
    g.commit(info(2), 2, 0);
    expect(g.reset()).toEqual([1, 2]);
    expect(g.state).toBe('idle');
    expect(g.tick(100)).toEqual([]);
  });

  it('keeps the group for reset() when a chunk cannot be encoded', () => {
    const { g } = grouper({
      chunkSize: 2,
      encode: (changes) => {
        if (changes.includes('bad')) throw new Error('does not fit');
        return { messages: [...changes], events: changes.length };
      },
    });
    g.commit(info(1), 1, 0);
    g.append('ok', 1);
    expect(() => g.append('bad', 1)).toThrow('does not fit');
    expect(g.reset()).toEqual([1]);
  });
});

/** A small seeded generator, so that a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Kafka > TransactionGrouper > invariants', () => {
  it('never ends a Kafka transaction inside a source transaction, and delivers every commit once, in order', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const next = random(seed);
      const { g } = grouper({ chunkSize: 1 + Math.floor(next() * 4), maxBatch: 2 + Math.floor(next() * 8) });
      let now = 0;
      let tx = 1; // the source transaction being appended
      let change = 0;
      const committed = new Set<number>(); // source transactions whose commit() was called
      const aborted = new Set<number>();
      const delivered: number[] = [];
      let kafkaTx: string[] = []; // messages in the open Kafka transaction

      const txOf = (message: string) => Number(message.split(':')[0]);
      const apply = (actions: Action[]) => {
        for (const action of actions) {
          if (action.kind === 'send') {
            kafkaTx.push(...action.messages);
          } else if (action.kind === 'abort') {
            // Only the dropped transaction's chunks are lost.
            expect(kafkaTx.length).toBeGreaterThan(0);
            for (const m of kafkaTx) expect(aborted.has(txOf(m)), `seed ${seed}: ${m} aborted`).toBe(true);
            kafkaTx = [];
          } else {
            kafkaTx.push(...action.messages);
            // Every message of the Kafka transaction belongs to a committed
            // source transaction that this commit (or an earlier one) delivers.
            for (const m of kafkaTx) {
              expect(committed.has(txOf(m)), `seed ${seed}: ${m} committed with its source`).toBe(true);
              expect(txOf(m) <= (action.tickets[action.tickets.length - 1] as number)).toBe(true);
            }
            expect(action.position).toEqual({ pos: action.tickets[action.tickets.length - 1] });
            delivered.push(...action.tickets);
            kafkaTx = [];
          }
        }
      };

      for (let step = 0; step < 300; step++) {
        const r = next();
        now += Math.floor(next() * 3);
        if (r < 0.55) {
          apply(g.append(`${tx}:${change++}`, now));
        } else if (r < 0.8) {
          committed.add(tx);
          apply(g.commit(info(tx), tx, now));
          tx += 1;
        } else if (r < 0.85) {
          aborted.add(tx);
          apply(g.abort());
          tx += 1; // read again under a new number
        } else if (r < 0.98) {
          apply(g.tick(now));
        } else {
          g.expedite();
        }
      }
      committed.add(tx);
      apply(g.commit(info(tx), tx, now));
      g.expedite();
      apply(g.tick(now));
      expect(g.state).toBe('idle');
      expect(kafkaTx).toEqual([]);
      expect(delivered).toEqual([...committed].sort((a, b) => a - b));
    }
  });
});
