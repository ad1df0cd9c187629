import { conditionOf, describeCondition } from './object-fields.js';
import { failed, progressing, type Readiness, ready } from './readiness-state.js';

/**
 * apiextensions.k8s.io/v1 CustomResourceDefinition: ready when Established,
 * i.e. when the API server serves its kind, so custom resources of that kind
 * can be applied. NamesAccepted=False (a name clash with another CRD) will
 * not resolve by itself.
 */
export function customResourceDefinitionReadiness(object: object): Readiness {
  const names = conditionOf(object, 'NamesAccepted');
  if (names?.status === 'False') return failed(`names not accepted: ${describeCondition(names)}`);
  const established = conditionOf(object, 'Established');
  if (established?.status === 'True') return ready('definition is Established');
  return progressing(
    established ? `not Established: ${describeCondition(established)}` : 'not Established yet',
  );
}
