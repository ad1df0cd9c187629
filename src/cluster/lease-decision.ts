// What a candidate or a leader does with a coordination.k8s.io/v1 Lease it
// just read, as plain functions over plain data so that every case is
// unit-tested with a fake clock. The rules are client-go's leaderelection:
//
// - A Lease is held while `holderIdentity` is set and less than
//   `leaseDurationSeconds` passed since this process *observed* its last
//   change. Expiry is never judged by comparing `renewTime` with the local
//   wall clock: the replicas' clocks may disagree, but each measures how long
//   a record stayed unchanged on its own monotonic clock.
// - A candidate takes a Lease that is absent, expired or released (no
//   holder), writing with the resourceVersion it read: of two candidates one
//   wins, the other gets 409 Conflict and stands by.
// - A leader renews (rewrites renewTime) every retry period, and steps down
//   when it could not renew for renewDeadlineSeconds: that is below the lease
//   duration, so it has stopped before any candidate can take over.

/** The spec of a coordination.k8s.io/v1 Lease, as rowkube reads and writes it. */
export interface LeaseSpec {
  holderIdentity?: string | undefined;
  leaseDurationSeconds?: number | undefined;
  /** MicroTime: RFC 3339 with microseconds. */
  acquireTime?: string | undefined;
  renewTime?: string | undefined;
  leaseTransitions?: number | undefined;
}

/** A Lease record as this process last saw it, and when (monotonic ms) it last saw it change. */
export interface ObservedLease {
  spec: LeaseSpec;
  observedAtMs: number;
}

/** What to do after reading the Lease. */
export type LeaseDecision =
  /** No Lease yet: create it, holding it. */
  | { kind: 'create'; spec: LeaseSpec }
  /** Ours, expired or released: write it back holding it (a renewal or a takeover), with the resourceVersion read. */
  | { kind: 'update'; spec: LeaseSpec; takeover: boolean }
  /** Another holder's, and not expired as observed here: stand by. */
  | { kind: 'held'; holder: string; expiresInMs: number };

export interface DecideInput {
  /** The Lease's spec as just read; undefined when it does not exist. */
  current: LeaseSpec | undefined;
  /** What this process observed before, updated with `current` (observeLease). */
  observed: ObservedLease | undefined;
  /** This replica's holderIdentity. */
  identity: string;
  /** Whether this replica leads now (a renewal keeps acquireTime and leaseTransitions). */
  leading: boolean;
  /** The lease duration this replica writes. */
  leaseDurationSeconds: number;
  /** Monotonic clock, ms. */
  nowMs: number;
  /** Wall clock, for the times written into the Lease (informative only). */
  now: Date;
}

/**
 * The observation after reading `spec` at `nowMs`: unchanged (the same
 * record, still dated from when it was first seen) or new from now.
 */
export function observeLease(
  previous: ObservedLease | undefined,
  spec: LeaseSpec | undefined,
  nowMs: number,
): ObservedLease | undefined {
  if (spec === undefined) return undefined;
  if (previous !== undefined && sameRecord(previous.spec, spec)) return previous;
  return { spec, observedAtMs: nowMs };
}

export function decideLease(input: DecideInput): LeaseDecision {
  const { current, observed, identity, leading, nowMs } = input;
  const time = microTime(input.now);
  const duration = Math.max(1, Math.ceil(input.leaseDurationSeconds));
  if (current === undefined) {
    return {
      kind: 'create',
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: duration,
        acquireTime: time,
        renewTime: time,
        leaseTransitions: 0,
      },
    };
  }
  const holder = current.holderIdentity ?? '';
  if (holder !== '' && holder !== identity) {
    // Their duration, not ours: the holder promised to renew within it.
    const heldForMs = (current.leaseDurationSeconds ?? duration) * 1000;
    const observedAtMs = observed?.observedAtMs ?? nowMs;
    const expiresInMs = observedAtMs + heldForMs - nowMs;
    if (expiresInMs > 0) return { kind: 'held', holder, expiresInMs };
  }
  const renewal = holder === identity && leading;
  return {
    kind: 'update',
    takeover: !renewal,
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: duration,
      acquireTime: renewal ? (current.acquireTime ?? time) : time,
      renewTime: time,
      leaseTransitions: (current.leaseTransitions ?? 0) + (renewal || holder === identity ? 0 : 1),
    },
  };
}

/**
 * The spec that gives a Lease up on a clean shutdown: no holder, so a
 * candidate takes it at its next try instead of waiting for it to expire.
 */
export function releasedLease(current: LeaseSpec, now: Date): LeaseSpec {
  const time = microTime(now);
  return {
    leaseDurationSeconds: 1,
    acquireTime: time,
    renewTime: time,
    leaseTransitions: current.leaseTransitions ?? 0,
  };
}

/**
 * A leader whose last successful renewal began `renewDeadlineMs` ago or
 * longer must stop leading now: its Lease may expire for the others soon.
 */
export function renewDeadlinePassed(lastRenewMs: number, nowMs: number, renewDeadlineMs: number): boolean {
  return nowMs - lastRenewMs >= renewDeadlineMs;
}

/** A Kubernetes MicroTime: RFC 3339 with six fractional digits, in UTC. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function sameRecord(a: LeaseSpec, b: LeaseSpec): boolean {
  return (
    (a.holderIdentity ?? '') === (b.holderIdentity ?? '') &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    (a.leaseTransitions ?? 0) === (b.leaseTransitions ?? 0)
  );
}
