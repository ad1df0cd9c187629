// The cluster part's facade: leader election of capture per source over
// coordination.k8s.io/v1 Leases (docs/high-availability.md).
export { LeaderGuardSink, NotLeaderError } from './leader-guard-sink.js';
export {
  decideLease,
  type LeaseDecision,
  type LeaseSpec,
  microTime,
  type ObservedLease,
  observeLease,
  releasedLease,
  renewDeadlinePassed,
} from './lease-decision.js';
export {
  type LeadershipEvents,
  type LeaseClock,
  LeaseElector,
  type LeaseElectorOptions,
  type LeaseTiming,
  stepDownPauseMs,
  type TermEnd,
  type TryResult,
} from './lease-elector.js';
export { leaseNamespace } from './lease-namespace.js';
export { KubeLeaseStore, type LeaseStore, type StoredLease } from './lease-store.js';
export { openLeaseClient } from './open-lease-client.js';
