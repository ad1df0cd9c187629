import { hasLoadBalancerAddress, stringAt } from './object-fields.js';
import { progressing, type Readiness, ready } from './readiness-state.js';

/**
 * v1 Service: a LoadBalancer is ready once the cloud provider gave it an
 * address (status.loadBalancer.ingress); every other type is ready when it
 * exists (the cluster IP is allocated synchronously).
 */
export function serviceReadiness(object: object): Readiness {
  const type = stringAt(object, 'spec', 'type') ?? 'ClusterIP';
  if (type !== 'LoadBalancer') return ready(`${type} service exists`);
  return hasLoadBalancerAddress(object)
    ? ready('load balancer has an address')
    : progressing('waiting for a load balancer address in status.loadBalancer.ingress');
}

/**
 * networking.k8s.io/v1 Ingress: ready once an ingress controller published
 * an address in status.loadBalancer.ingress, i.e. once it serves the routes.
 * Deliberately strict (Lynq also accepts any Ingress with rules): a cluster
 * without an ingress controller, or one that does not report status, never
 * fills the address, so an Ingress there should not have waitForReady.
 */
export function ingressReadiness(object: object): Readiness {
  return hasLoadBalancerAddress(object)
    ? ready('ingress controller published an address')
    : progressing(
        'no address in status.loadBalancer.ingress yet (a cluster without an ingress controller never sets one)',
      );
}
