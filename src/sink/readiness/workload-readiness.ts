import { conditionOf, describeCondition, numberAt, staleStatus, stringAt } from './object-fields.js';
import { failed, progressing, type Readiness, ready } from './readiness-state.js';

// Rollout rules for the workload controllers, after `kubectl rollout status`:
// ready means the controller has seen the latest spec and every replica runs
// it and is available. A workload scaled to zero is ready (unlike Lynq, which
// calls it not ready): it is exactly as desired, and calling it not ready
// would time out and skip every dependent.

/** apps/v1 Deployment: latest generation observed, all replicas updated and available, Available=True. */
export function deploymentReadiness(object: object): Readiness {
  const stale = staleStatus(object);
  if (stale) return progressing(stale);
  const progress = conditionOf(object, 'Progressing');
  if (progress?.reason === 'ProgressDeadlineExceeded') {
    return failed(`rollout exceeded its progress deadline: ${describeCondition(progress)}`);
  }
  const desired = numberAt(object, 'spec', 'replicas') ?? 1;
  const updated = numberAt(object, 'status', 'updatedReplicas') ?? 0;
  const total = numberAt(object, 'status', 'replicas') ?? 0;
  const available = numberAt(object, 'status', 'availableReplicas') ?? 0;
  if (updated < desired) return progressing(`${updated} of ${desired} replicas updated`);
  if (total > updated) return progressing(`${total - updated} old replicas pending termination`);
  if (total > desired) return progressing(`scaling down: ${total} replicas, ${desired} desired`);
  if (available < desired) return progressing(`${available} of ${desired} replicas available`);
  const availableCondition = conditionOf(object, 'Available');
  if (availableCondition?.status !== 'True') {
    return progressing(
      availableCondition
        ? `Available is ${availableCondition.status}: ${describeCondition(availableCondition)}`
        : 'no Available condition yet',
    );
  }
  return ready(`${desired} of ${desired} replicas updated and available`);
}

/**
 * apps/v1 StatefulSet: latest generation observed, all replicas ready and,
 * for a rolling update, on the update revision. With a partition only the
 * ordinals at or above it are updated, so those are all that is waited for.
 * With OnDelete the controller never replaces pods itself, so ready replicas
 * are all there is to wait for.
 */
export function statefulSetReadiness(object: object): Readiness {
  const stale = staleStatus(object);
  if (stale) return progressing(stale);
  const desired = numberAt(object, 'spec', 'replicas') ?? 1;
  const total = numberAt(object, 'status', 'replicas') ?? 0;
  const readyReplicas = numberAt(object, 'status', 'readyReplicas') ?? 0;
  if (total > desired) return progressing(`scaling down: ${total} replicas, ${desired} desired`);
  if (readyReplicas < desired) return progressing(`${readyReplicas} of ${desired} replicas ready`);
  if (stringAt(object, 'spec', 'updateStrategy', 'type') === 'OnDelete') {
    return ready(`${desired} of ${desired} replicas ready (OnDelete: pods update when deleted)`);
  }
  const updated = numberAt(object, 'status', 'updatedReplicas') ?? 0;
  const partition = numberAt(object, 'spec', 'updateStrategy', 'rollingUpdate', 'partition') ?? 0;
  if (partition > 0) {
    const expected = Math.max(desired - partition, 0);
    if (updated < expected) {
      return progressing(`${updated} of ${expected} replicas above partition ${partition} updated`);
    }
    return ready(`${expected} replicas above partition ${partition} updated, ${desired} ready`);
  }
  if (updated < desired) return progressing(`${updated} of ${desired} replicas updated`);
  const current = stringAt(object, 'status', 'currentRevision');
  const update = stringAt(object, 'status', 'updateRevision');
  if (current !== update) {
    return progressing(`rolling out revision ${update ?? '(unknown)'}, current is ${current ?? '(unknown)'}`);
  }
  return ready(`${desired} of ${desired} replicas ready on revision ${update ?? '(unknown)'}`);
}

/**
 * apps/v1 DaemonSet: latest generation observed, a pod on every node that
 * should run one, all updated (unless OnDelete), ready and available. No
 * node to run on (desiredNumberScheduled 0) is ready: nothing to wait for.
 */
export function daemonSetReadiness(object: object): Readiness {
  const stale = staleStatus(object);
  if (stale) return progressing(stale);
  const desired = numberAt(object, 'status', 'desiredNumberScheduled') ?? 0;
  const updated = numberAt(object, 'status', 'updatedNumberScheduled') ?? 0;
  const readyPods = numberAt(object, 'status', 'numberReady') ?? 0;
  const available = numberAt(object, 'status', 'numberAvailable') ?? 0;
  const onDelete = stringAt(object, 'spec', 'updateStrategy', 'type') === 'OnDelete';
  if (!onDelete && updated < desired) return progressing(`${updated} of ${desired} pods updated`);
  if (readyPods < desired) return progressing(`${readyPods} of ${desired} pods ready`);
  if (available < desired) return progressing(`${available} of ${desired} pods available`);
  return ready(`${desired} of ${desired} pods ready and available`);
}
