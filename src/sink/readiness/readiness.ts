import { apiGroupOf } from '../plan/api-group.js';
import { conditionReadiness } from './condition-readiness.js';
import { customResourceDefinitionReadiness } from './definition-readiness.js';
import { jobReadiness } from './job-readiness.js';
import { ingressReadiness, serviceReadiness } from './network-readiness.js';
import { stringAt } from './object-fields.js';
import { namespaceReadiness, persistentVolumeClaimReadiness } from './phase-readiness.js';
import { podReadiness } from './pod-readiness.js';
import { progressing, type Readiness, type ReadinessRule } from './readiness-state.js';
import { daemonSetReadiness, deploymentReadiness, statefulSetReadiness } from './workload-readiness.js';

/**
 * Built-in kinds with their own rule, by "<group>/<kind>" ("" is the core
 * group): a custom resource that is merely called "Service" or "Deployment"
 * gets the generic Ready-condition rule instead.
 */
const RULES: ReadonlyMap<string, ReadinessRule> = new Map([
  ['apps/Deployment', deploymentReadiness],
  ['extensions/Deployment', deploymentReadiness],
  ['apps/StatefulSet', statefulSetReadiness],
  ['apps/DaemonSet', daemonSetReadiness],
  ['extensions/DaemonSet', daemonSetReadiness],
  ['batch/Job', jobReadiness],
  ['/Pod', podReadiness],
  ['/PersistentVolumeClaim', persistentVolumeClaimReadiness],
  ['/Namespace', namespaceReadiness],
  ['/Service', serviceReadiness],
  ['networking.k8s.io/Ingress', ingressReadiness],
  ['extensions/Ingress', ingressReadiness],
  ['apiextensions.k8s.io/CustomResourceDefinition', customResourceDefinitionReadiness],
]);

/**
 * Whether a live object is ready for its dependents, by the rule for its
 * kind (see RULES) or, for any other kind, its Ready condition. The object
 * must carry apiVersion and kind, as a GET returns it (items of a LIST do
 * not). An object being deleted is never ready: it is on its way out.
 */
export function readinessOf(object: object): Readiness {
  if (stringAt(object, 'metadata', 'deletionTimestamp') !== undefined) {
    return progressing('is being deleted');
  }
  const kind = stringAt(object, 'kind') ?? '';
  const group = apiGroupOf(stringAt(object, 'apiVersion') ?? '');
  const rule = RULES.get(`${group}/${kind}`) ?? conditionReadiness;
  return rule(object);
}
