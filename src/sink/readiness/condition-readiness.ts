import { conditionOf, describeCondition, numberAt } from './object-fields.js';
import { failed, progressing, type Readiness, ready } from './readiness-state.js';

// Any other object — custom resources above all. Many operators report a
// `Ready` condition (the kstatus convention); objects without one (a
// ConfigMap, a Role, a resource whose operator reports nothing) have nothing
// to wait for once they exist.

/** Reasons that mean the operator gave up rather than that it is still working. */
const FAILED_REASON = /fail/i;

/**
 * Ready=True → ready. Ready=False → progressing, since operators use False
 * for "not yet" as much as for "broken", unless its reason says it failed
 * ("ReconcileFailed", "InstallFailed") → failed. Ready=Unknown → progressing.
 * A condition written for an older generation than metadata.generation
 * describes the previous spec → progressing. No Ready condition → ready.
 */
export function conditionReadiness(object: object): Readiness {
  const condition = conditionOf(object, 'Ready');
  if (condition === undefined) return ready('exists (no Ready condition to wait for)');
  const generation = numberAt(object, 'metadata', 'generation');
  const observed = condition.observedGeneration ?? numberAt(object, 'status', 'observedGeneration');
  if (generation !== undefined && observed !== undefined && observed < generation) {
    return progressing(`Ready condition is for generation ${observed}, not yet ${generation}`);
  }
  if (condition.status === 'True') return ready(`Ready: ${describeCondition(condition)}`);
  if (condition.status === 'False' && FAILED_REASON.test(condition.reason ?? '')) {
    return failed(`Ready is False: ${describeCondition(condition)}`);
  }
  return progressing(`Ready is ${condition.status}: ${describeCondition(condition)}`);
}
