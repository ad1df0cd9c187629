import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { KubeClient } from './kube-client.js';

/**
 * The cluster a command talks to: an explicit kubeconfig (`--kubeconfig` or
 * `kubernetes.kubeconfig`), else $KUBECONFIG, else the in-cluster service
 * account — the order kubectl users expect.
 */
export function openKubeClient(kubeconfig: string | undefined, maxSockets?: number): KubeClient {
  const options = maxSockets === undefined ? {} : { maxSockets };
  const path = kubeconfig ?? process.env.KUBECONFIG;
  if (path) return KubeClient.fromKubeconfigFile(path, options);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  if (kubeConfig.getCurrentCluster() === null) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      'no cluster to apply to: set kubernetes.kubeconfig in the configuration, KUBECONFIG, or run inside a cluster',
    );
  }
  return new KubeClient(kubeConfig, options);
}
