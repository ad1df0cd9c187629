import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  LeaderGuardSink,
  type LeaseClock,
  LeaseElector,
  type LeaseSpec,
  type LeaseStore,
  NotLeaderError,
  type StoredLease,
  stepDownPauseMs,
} from '../../src/cluster/index.js';
import type { ChangeSink } from '../../src/core/change-event.js';

const timing = { leaseDurationSeconds: 8, renewDeadlineSeconds: 6, retryPeriodSeconds: 1 };
const logger = pino({ level: 'silent' });

/** One Lease in memory, with the API server's optimistic concurrency. */
class MemoryLeaseStore implements LeaseStore {
  lease: StoredLease | undefined;
  failing = false;
  private version = 0;

  async get() {
    if (this.failing) throw new Error('apiserver unreachable');
    return this.lease;
  }

  async create(spec: LeaseSpec) {
    if (this.failing) throw new Error('apiserver unreachable');
    if (this.lease !== undefined) return undefined;
    return this.write(spec);
  }

  async update(resourceVersion: string, spec: LeaseSpec) {
    if (this.failing) throw new Error('apiserver unreachable');
    if (this.lease?.resourceVersion !== resourceVersion) return undefined;
    return this.write(spec);
  }

  private write(spec: LeaseSpec): StoredLease {
    this.version += 1;
    this.lease = { spec: { ...spec }, resourceVersion: String(this.version) };
    return this.lease;
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

class FakeClock implements LeaseClock {
  ms = 0;
  nowMs = () => this.ms;
  now = () => new Date(1_800_000_000_000 + this.ms);
}

function elector(store: LeaseStore, clock: FakeClock, identity: string, events: string[] = []) {
  return new LeaseElector({
    store,
    identity,
    timing,
    logger,
    lease: 'default/test',
    clock,
    // Waiting moves the fake clock on; a macrotask turn lets the other side run.
    sleep: async (ms, signal) => {
      if (signal.aborted) return;
      clock.ms += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
    onLeading: () => events.push(`${identity} leading`),
    onLost: (why) => events.push(`${identity} lost: ${why}`),
    onStandby: (holder) => events.push(`${identity} standing by for ${holder}`),
  });
}

describe('cluster > lease elector', () => {
  it('acquires an absent Lease; a second candidate stands by', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const a = elector(store, clock, 'a');
    const b = elector(store, clock, 'b');
    expect(await a.tryAcquireOrRenew()).toEqual({ leading: true });
    expect(await b.tryAcquireOrRenew()).toEqual({ leading: false, holder: 'a' });
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'a', leaseTransitions: 0 });
    expect(b.holder).toBe('a');
  });

  it('takes over once the holder stopped renewing for the lease duration, counting a transition', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    await elector(store, clock, 'a').tryAcquireOrRenew();
    const b = elector(store, clock, 'b');
    clock.ms = 500;
    expect((await b.tryAcquireOrRenew()).leading).toBe(false);
    clock.ms = 8_499;
    expect((await b.tryAcquireOrRenew()).leading).toBe(false);
    clock.ms = 8_500;
    expect((await b.tryAcquireOrRenew()).leading).toBe(true);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('loses the race on a conflicting write (409) and stands by', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const a = elector(store, clock, 'a');
    const create = store.create.bind(store);
    // b creates the Lease between a's read and a's write.
    store.create = async (spec) => {
      store.create = create;
      await elector(store, clock, 'b').tryAcquireOrRenew();
      return create(spec);
    };
    expect(await a.tryAcquireOrRenew()).toEqual({ leading: false, holder: undefined });
    expect(store.lease?.spec.holderIdentity).toBe('b');
    expect(a.isLeader()).toBe(false);
  });

  it('leads in terms: renews, releases on stop so a standby takes over at once', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = elector(store, clock, 'a', events);
    const stop = new AbortController();
    const renewTimes: string[] = [];
    const running = a.run(stop.signal, async (term) => {
      expect(a.isLeader()).toBe(true);
      while (renewTimes.length < 3) {
        await new Promise((resolve) => setImmediate(resolve));
        const renewTime = store.lease?.spec.renewTime ?? '';
        if (!renewTimes.includes(renewTime)) renewTimes.push(renewTime);
      }
      stop.abort();
      await untilAborted(term);
      return 'stopped';
    });
    await running;
    expect(renewTimes).toHaveLength(3);
    expect(store.lease?.spec.holderIdentity).toBeUndefined();
    expect(events).toEqual(['a leading', 'a lost: stopped']);
    const b = elector(store, clock, 'b');
    expect(await b.tryAcquireOrRenew()).toEqual({ leading: true });
  });

  it('ends the term when it cannot renew for the renew deadline, before the Lease expires', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = elector(store, clock, 'a', events);
    const stop = new AbortController();
    let endedAtMs = -1;
    await a.run(stop.signal, async (term) => {
      store.failing = true;
      await untilAborted(term);
      endedAtMs = clock.ms;
      stop.abort();
      return 'stopped';
    });
    expect(endedAtMs).toBeGreaterThanOrEqual(6_000);
    expect(endedAtMs).toBeLessThan(8_000);
    expect(events).toEqual(['a leading', 'a lost: could not renew within 6 s']);
    // Not released: the apiserver was unreachable; the Lease still names a, and expires by itself.
    expect(store.lease?.spec.holderIdentity).toBe('a');
  });

  it('is no longer leader at once when its monotonic clock jumped past the deadline (a paused process)', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const a = elector(store, clock, 'a');
    const stop = new AbortController();
    const seen: boolean[] = [];
    await a.run(stop.signal, async () => {
      seen.push(a.isLeader());
      clock.ms += 6_000; // SIGSTOP … SIGCONT
      seen.push(a.isLeader());
      stop.abort();
      return 'stopped';
    });
    expect(seen).toEqual([true, false]);
  });

  it('ends the term when another replica is seen holding the Lease', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = elector(store, clock, 'a', events);
    const stop = new AbortController();
    await a.run(stop.signal, async (term) => {
      // Someone rewrites the Lease under a's feet (a took too long to notice, say).
      const lease = store.lease as StoredLease;
      await store.update(lease.resourceVersion, { ...lease.spec, holderIdentity: 'b' });
      await untilAborted(term);
      stop.abort();
      return 'stopped';
    });
    expect(events).toEqual(['a leading', 'a standing by for b', 'a lost: the Lease is held by b']);
    expect(store.lease?.spec.holderIdentity).toBe('b');
  });

  it('campaigns again after the work stepped down (fenced), without giving the Lease up', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const events: string[] = [];
    const a = elector(store, clock, 'a', events);
    const stop = new AbortController();
    let terms = 0;
    await a.run(stop.signal, async () => {
      terms += 1;
      if (terms === 1) return 'step-down';
      stop.abort();
      return 'stopped';
    });
    expect(terms).toBe(2);
    expect(events).toEqual(['a leading', 'a lost: the work stepped down', 'a leading', 'a lost: stopped']);
  });

  it('waits longer before each campaign while terms keep stepping down at once', async () => {
    expect([0, 1, 2, 3, 4].map((n) => stepDownPauseMs(1_000, n))).toEqual([
      1_000, 1_000, 2_000, 4_000, 8_000,
    ]);
    expect(stepDownPauseMs(1_000, 20)).toBe(30_000);
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const a = elector(store, clock, 'a');
    const stop = new AbortController();
    const startedAt: number[] = [];
    await a.run(stop.signal, async () => {
      startedAt.push(clock.ms);
      if (startedAt.length === 4) stop.abort();
      return 'step-down';
    });
    // Each gap: the fake renew loop's first wait (1 s, the fake clock moves at once) + the pause.
    expect(startedAt.slice(1).map((t, i) => t - (startedAt[i] as number))).toEqual([2_000, 3_000, 5_000]);
  });

  it('releases the Lease and rejects when the work fails for good', async () => {
    const store = new MemoryLeaseStore();
    const clock = new FakeClock();
    const a = elector(store, clock, 'a');
    await expect(
      a.run(new AbortController().signal, async () => {
        throw new Error('misconfigured');
      }),
    ).rejects.toThrow('misconfigured');
    expect(store.lease?.spec.holderIdentity).toBeUndefined();
  });
});

describe('cluster > leader guard sink', () => {
  it('passes calls through while leading and refuses every call after, abort() included', async () => {
    const calls: string[] = [];
    const inner: ChangeSink = {
      append: () => {
        calls.push('append');
      },
      commit: async () => {
        calls.push('commit');
      },
      abort: () => {
        calls.push('abort');
      },
      recordSchema: () => {
        calls.push('schema');
      },
    };
    let leading = true;
    const sink = new LeaderGuardSink(inner, 'appdb', () => leading);
    sink.append({} as never);
    await sink.commit({} as never);
    leading = false;
    expect(() => sink.append({} as never)).toThrow(NotLeaderError);
    await expect(sink.commit({} as never)).rejects.toThrow('ROWKUBE_ERR_NOT_LEADER');
    await expect(sink.abort()).rejects.toThrow(NotLeaderError);
    expect(() => sink.recordSchema({} as never)).toThrow(NotLeaderError);
    expect(calls).toEqual(['append', 'commit']);
  });
});
