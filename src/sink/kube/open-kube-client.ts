import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { KubeClient, type KubeClientOptions } from './kube-client.js';

/**
 * The cluster a command talks to: an explicit kubeconfig (`--kubeconfig` or
 * `kubernetes.kubeconfig`), else $KUBECONFIG, else the in-cluster service
 * account — the order kubectl users expect. `options`: the connection pool's
 * size (a number, as the sink passes it) or the client's options.
 */
export function openKubeClient(
  kubeconfig: string | undefined,
  options?: number | KubeClientOptions,
): KubeClient {
  const clientOptions: KubeClientOptions =
    typeof options === 'number' ? { maxSockets: options } : (options ?? {});
  const path = kubeconfig ?? process.env.KUBECONFIG;
  if (path) return KubeClient.fromKubeconfigFile(path, clientOptions);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  if (kubeConfig.getCurrentCluster() === null) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      'no cluster to apply to: set kubernetes.kubeconfig in the configuration, KUBECONFIG, or run inside a cluster',
    );
  }
  return new KubeClient(kubeConfig, clientOptions);
}
