import { describe, expect, it } from 'vitest';
import { CommitAcks, idleCommitDue, isQuiet } from '../../connectors/postgres/postgres-acks.js';

/** A sink commit that the test settles by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function recorder(start = 100n) {
  const acknowledged: bigint[] = [];
  const failures: unknown[] = [];
  const acks = new CommitAcks({
    start,
    acknowledge: (lsn) => acknowledged.push(lsn),
    onSinkFailure: (error) => failures.push(error),
  });
  return { acks, acknowledged, failures };
}

describe('connectors > postgres > acks', () => {
  it('acknowledges commit end positions strictly in order, as the sink stores them', async () => {
    const { acks, acknowledged } = recorder();
    const first = deferred();
    const second = deferred();
    acks.commit(() => first.promise, 200n);
    acks.commit(() => second.promise, 300n);
    expect(acks.pending).toBe(2);
    second.resolve();
    await Promise.resolve();
    await Promise.resolve();
    expect(acknowledged).toEqual([]);
    expect(acks.acked).toBe(100n);
    first.resolve();
    await acks.settled();
    expect(acknowledged).toEqual([200n, 300n]);
    expect(acks.acked).toBe(300n);
    expect(acks.pending).toBe(0);
  });

  it('never acknowledges past a failed commit, and reports the failure once in order', async () => {
    const { acks, acknowledged, failures } = recorder();
    const boom = new Error('commit failed');
    acks.commit(() => Promise.resolve(), 200n);
    acks.commit(() => Promise.reject(boom), 300n);
    acks.commit(() => Promise.resolve(), 400n);
    await acks.settled();
    expect(acknowledged).toEqual([200n]);
    expect(failures).toEqual([boom]);
    expect(acks.halted).toBe(true);
    expect(acks.acked).toBe(200n);
    expect(acks.pending).toBe(0);
  });

  it('treats a commit that throws synchronously as a failed commit', async () => {
    const { acks, acknowledged, failures } = recorder();
    const boom = new Error('thrown');
    acks.commit(() => {
      throw boom;
    }, 200n);
    await acks.settled();
    expect(acknowledged).toEqual([]);
    expect(failures).toEqual([boom]);
  });

  it('acknowledges nothing more once halted by a failed sink call, even commits already stored', async () => {
    const { acks, acknowledged, failures } = recorder();
    const commit = deferred();
    acks.commit(() => commit.promise, 200n);
    acks.halt();
    commit.resolve();
    await acks.settled();
    expect(acknowledged).toEqual([]);
    expect(failures).toEqual([]);
    expect(acks.acked).toBe(100n);
  });

  it('never moves the acknowledged position back', async () => {
    const { acks, acknowledged } = recorder(500n);
    acks.commit(() => undefined, 400n);
    acks.commit(() => undefined, 500n);
    acks.commit(() => undefined, 600n);
    await acks.settled();
    expect(acknowledged).toEqual([600n]);
  });

  it('is quiet only with nothing open, queued, pending or unhandled', () => {
    const calm = { transactionOpen: false, busy: 0, pendingCommits: 0, received: 7, handled: 7 };
    expect(isQuiet(calm)).toBe(true);
    expect(isQuiet({ ...calm, transactionOpen: true })).toBe(false);
    expect(isQuiet({ ...calm, busy: 1 })).toBe(false);
    expect(isQuiet({ ...calm, pendingCommits: 1 })).toBe(false);
    expect(isQuiet({ ...calm, received: 8 })).toBe(false);
  });

  it('makes an idle commit only when quiet, forward, and once per interval', () => {
    const base = {
      quiet: true,
      keepalive: 200n,
      acked: 100n,
      now: 20_000,
      lastIdleCommitAt: 0,
      intervalMs: 10_000,
    };
    expect(idleCommitDue(base)).toBe(true);
    expect(idleCommitDue({ ...base, quiet: false })).toBe(false);
    expect(idleCommitDue({ ...base, keepalive: 100n })).toBe(false);
    expect(idleCommitDue({ ...base, keepalive: 50n })).toBe(false);
    expect(idleCommitDue({ ...base, lastIdleCommitAt: 15_000 })).toBe(false);
    expect(idleCommitDue({ ...base, lastIdleCommitAt: 10_000 })).toBe(true);
  });

  it('records an idle commit so that the next waits an interval', () => {
    const { acks } = recorder();
    expect(acks.idleCommitDue(200n, true, 20_000, 10_000)).toBe(true);
    expect(acks.idleCommitDue(300n, true, 25_000, 10_000)).toBe(false);
    expect(acks.idleCommitDue(300n, false, 40_000, 10_000)).toBe(false);
    expect(acks.idleCommitDue(300n, true, 40_000, 10_000)).toBe(true);
  });
});
