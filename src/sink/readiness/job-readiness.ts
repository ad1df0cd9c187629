import { conditionOf, describeCondition, fieldAt, numberAt } from './object-fields.js';
import { failed, progressing, type Readiness, ready } from './readiness-state.js';

/**
 * batch/v1 Job: ready once it completed, failed once it failed. Dependents of
 * a Job (a migration before the app) want it finished, not merely started.
 * FailureTarget is set as soon as the Job is bound to fail (backoff limit,
 * deadline), before its pods are gone and Failed follows, so it already counts.
 */
export function jobReadiness(object: object): Readiness {
  for (const type of ['Failed', 'FailureTarget']) {
    const condition = conditionOf(object, type);
    if (condition?.status === 'True') return failed(`job failed: ${describeCondition(condition)}`);
  }
  const complete = conditionOf(object, 'Complete');
  if (complete?.status === 'True') return ready('job complete');
  if (fieldAt(object, 'spec', 'suspend') === true) return progressing('job is suspended');
  const active = numberAt(object, 'status', 'active') ?? 0;
  const succeeded = numberAt(object, 'status', 'succeeded') ?? 0;
  const failures = numberAt(object, 'status', 'failed') ?? 0;
  return progressing(`job running: ${active} active, ${succeeded} succeeded, ${failures} failed pods`);
}
