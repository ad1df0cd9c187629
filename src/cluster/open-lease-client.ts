import { ErrorCode, RowkubeError } from '../core/errors.js';
import { type KubeClient, openKubeClient } from '../sink/index.js';
import type { LeaseTiming } from './lease-elector.js';

/**
 * The Kubernetes client the electors of one process share: the cluster the
 * sink applies to (kubernetes.kubeconfig, else KUBECONFIG, else in-cluster).
 * Its own small pool, so that renewals never queue behind a burst of
 * applies, and requests that give up well within the renew deadline, so that
 * one hung renewal leaves time for another try.
 */
export function openLeaseClient(kubeconfig: string | undefined, timing: LeaseTiming): KubeClient {
  try {
    return openKubeClient(kubeconfig, {
      maxSockets: 4,
      requestTimeoutMs: Math.max(500, Math.floor((timing.renewDeadlineSeconds * 1000) / 2)),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `leaderElection.enabled needs a cluster for the capture Leases: ${reason}`,
      false,
      { cause: error },
    );
  }
}
