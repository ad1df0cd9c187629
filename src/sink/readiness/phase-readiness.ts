import { stringAt } from './object-fields.js';
import { failed, progressing, type Readiness, ready } from './readiness-state.js';

// Kinds whose status is a single phase.

/** v1 Namespace: ready when Active. Terminating lasts until its contents are gone, so it is progressing. */
export function namespaceReadiness(object: object): Readiness {
  const phase = stringAt(object, 'status', 'phase');
  if (phase === 'Active') return ready('namespace is Active');
  if (phase === 'Terminating') return progressing('namespace is Terminating');
  return progressing(`namespace phase is ${phase ?? 'not set yet'}`);
}

/**
 * v1 PersistentVolumeClaim: ready when Bound, failed when Lost (its volume is
 * gone). A claim of a WaitForFirstConsumer storage class stays Pending until
 * a pod uses it, so waiting for its readiness before the pod never ends:
 * such a claim should not have waitForReady.
 */
export function persistentVolumeClaimReadiness(object: object): Readiness {
  const phase = stringAt(object, 'status', 'phase');
  if (phase === 'Bound') return ready('claim is Bound');
  if (phase === 'Lost') return failed('claim is Lost: its volume no longer exists');
  return progressing(`claim is ${phase ?? 'not bound yet'}`);
}
