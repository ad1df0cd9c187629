import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { KubeClient, type KubeClientOptions } from './kube-client.js';
import { tokenFileOf } from './token-file.js';

/**
 * The cluster a command talks to: an explicit kubeconfig (`--kubeconfig` or
 * `kubernetes.kubeconfig`), else $KUBECONFIG, else ~/.kube/config, else the
 * in-cluster service account (its token followed as it rotates, see
 * token-file.ts) — the order kubectl users expect. `options`: the connection
 * pool's size (a number, as the sink passes it) or the client's options.
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
  const problem = defaultKubeConfigProblem(kubeConfig, process.env);
  if (problem !== undefined) throw new RowkubeError(ErrorCode.CONFIG, problem);
  return new KubeClient(kubeConfig, clientOptions);
}

/**
 * What is wrong with what KubeConfig.loadFromDefault found, if anything. When
 * it finds nothing it does not fail but points at http://localhost:8080, and
 * in a pod without the service's variables at https://undefined:undefined:
 * both would only show up as refused connections, retried forever.
 */
export function defaultKubeConfigProblem(kubeConfig: KubeConfig, env: NodeJS.ProcessEnv): string | undefined {
  const cluster = kubeConfig.getCurrentCluster();
  const user = kubeConfig.getCurrentUser();
  // The fallback exactly: that cluster, and a user with a name and nothing else.
  const fallback =
    cluster?.name === 'cluster' &&
    cluster.server === 'http://localhost:8080' &&
    user?.name === 'user' &&
    Object.values(user).filter((value) => value !== undefined).length === 1;
  if (cluster === null || fallback) {
    return 'no cluster to apply to: set kubernetes.kubeconfig in the configuration, KUBECONFIG, or run inside a cluster';
  }
  if (tokenFileOf(user) !== undefined && (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT)) {
    return 'running with the service-account token of a pod, but KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT is not set: they name the API server (set them, or give a kubeconfig)';
  }
  return undefined;
}
