import { describe, expect, it } from 'vitest';
import {
  decideLease,
  type LeaseSpec,
  leaseNamespace,
  microTime,
  observeLease,
  releasedLease,
  renewDeadlinePassed,
} from '../../src/cluster/index.js';

const now = new Date('2026-12-02T17:00:00.123Z');
const held: LeaseSpec = {
  holderIdentity: 'b',
  leaseDurationSeconds: 8,
  acquireTime: '2026-12-02T16:00:00.000000Z',
  renewTime: '2026-12-02T16:59:59.000000Z',
  leaseTransitions: 3,
};

function decide(current: LeaseSpec | undefined, observedAtMs: number, nowMs: number, leading = false) {
  const observed = current === undefined ? undefined : { spec: current, observedAtMs };
  return decideLease({ current, observed, identity: 'a', leading, leaseDurationSeconds: 8, nowMs, now });
}

describe('cluster > lease decision', () => {
  it('creates an absent Lease, holding it', () => {
    expect(decide(undefined, 0, 1_000)).toEqual({
      kind: 'create',
      spec: {
        holderIdentity: 'a',
        leaseDurationSeconds: 8,
        acquireTime: '2026-12-02T17:00:00.123000Z',
        renewTime: '2026-12-02T17:00:00.123000Z',
        leaseTransitions: 0,
      },
    });
  });

  it('stands by while another holder renewed within the lease duration, as observed here', () => {
    expect(decide(held, 10_000, 17_999)).toEqual({ kind: 'held', holder: 'b', expiresInMs: 1 });
  });

  it('takes over a Lease unchanged for its duration, counting the transition', () => {
    const decision = decide(held, 10_000, 18_000);
    expect(decision).toMatchObject({
      kind: 'update',
      takeover: true,
      spec: { holderIdentity: 'a', leaseTransitions: 4, acquireTime: '2026-12-02T17:00:00.123000Z' },
    });
  });

  it('judges expiry by when the record was observed, not by renewTime against the local clock', () => {
    // renewTime is an hour old by this clock, but the record was seen changing just now.
    expect(decide({ ...held, renewTime: '2026-12-02T16:00:00.000000Z' }, 50_000, 50_001).kind).toBe('held');
  });

  it('takes a released Lease (no holder) at once', () => {
    const released = releasedLease(held, now);
    expect(released.holderIdentity).toBeUndefined();
    expect(decide(released, 10_000, 10_000)).toMatchObject({
      kind: 'update',
      takeover: true,
      spec: { holderIdentity: 'a', leaseTransitions: 4 },
    });
  });

  it('renews its own Lease keeping acquireTime and the transition count', () => {
    const own = { ...held, holderIdentity: 'a' };
    expect(decide(own, 0, 1_000, true)).toMatchObject({
      kind: 'update',
      takeover: false,
      spec: { acquireTime: held.acquireTime, renewTime: '2026-12-02T17:00:00.123000Z', leaseTransitions: 3 },
    });
  });

  it('writes a whole number of seconds, at least one', () => {
    const decision = decideLease({
      current: undefined,
      observed: undefined,
      identity: 'a',
      leading: false,
      leaseDurationSeconds: 2.5,
      nowMs: 0,
      now,
    });
    expect(decision.kind === 'create' && decision.spec.leaseDurationSeconds).toBe(3);
  });

  it('keeps the first observation time while the record does not change', () => {
    const first = observeLease(undefined, held, 100);
    expect(observeLease(first, { ...held }, 5_000)).toBe(first);
    expect(observeLease(first, { ...held, renewTime: 'later' }, 5_000)?.observedAtMs).toBe(5_000);
    expect(observeLease(first, undefined, 5_000)).toBeUndefined();
  });

  it('steps down once the renew deadline passed since the last renewal', () => {
    expect(renewDeadlinePassed(1_000, 6_999, 6_000)).toBe(false);
    expect(renewDeadlinePassed(1_000, 7_000, 6_000)).toBe(true);
  });

  it('writes MicroTime with six fractional digits', () => {
    expect(microTime(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02T03:04:05.006000Z');
  });

  it("puts the Leases in the configured namespace, else the pod's, else default", () => {
    expect(leaseNamespace('rowkube', () => 'pods')).toBe('rowkube');
    expect(leaseNamespace(undefined, () => 'pods')).toBe('pods');
    expect(leaseNamespace(undefined, () => undefined)).toBe('default');
  });
});
