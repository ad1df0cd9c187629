import { conditionOf, describeCondition, stringAt } from './object-fields.js';
import { failed, progressing, type Readiness, ready } from './readiness-state.js';

/**
 * v1 Pod: ready with a Ready=True condition. A pod that ran to completion
 * (phase Succeeded) has Ready=False yet is done, so it counts as ready; phase
 * Failed is final (restartPolicy Never or OnFailure gave up), so it is failed.
 */
export function podReadiness(object: object): Readiness {
  const phase = stringAt(object, 'status', 'phase');
  if (phase === 'Succeeded') return ready('pod completed');
  if (phase === 'Failed') {
    const why = [stringAt(object, 'status', 'reason'), stringAt(object, 'status', 'message')].filter(Boolean);
    return failed(`pod failed${why.length > 0 ? `: ${why.join(': ')}` : ''}`);
  }
  const readyCondition = conditionOf(object, 'Ready');
  if (readyCondition?.status === 'True') return ready('pod is Ready');
  if (readyCondition) return progressing(`pod not Ready: ${describeCondition(readyCondition)}`);
  return progressing(`pod ${phase ?? 'has no phase yet'}${phase ? ', no Ready condition yet' : ''}`);
}
