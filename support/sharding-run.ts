import { KubeClient, type KubeObject } from '../src/sink/kube/index.js';
import { replayKubeconfig, stackEnv } from './stack-env.js';
import { startUseCase, type UseCaseRun } from './use-case-run.js';

// examples/use-cases/sharding on the stack's two clusters: `shard-a` is the
// main cluster (kube), `shard-b` the second one (kube-replay), as the
// example's page tells a newcomer to set them up.

export interface ShardingRun {
  run: UseCaseRun;
  /** A client per shard, by name. */
  shards: { 'shard-a': KubeClient; 'shard-b': KubeClient };
  /** A tenant's Deployment `app` on a shard, or undefined. */
  app(shard: 'shard-a' | 'shard-b', uid: string): Promise<KubeObject | undefined>;
  stop(): Promise<void>;
}

export async function startSharding(options: { observabilityPort?: number } = {}): Promise<ShardingRun> {
  const shardB = replayKubeconfig();
  const run = await startUseCase({
    example: 'sharding',
    kind: 'mariadb',
    env: { SHARD_A_KUBECONFIG: stackEnv().kubeconfig, SHARD_B_KUBECONFIG: shardB },
    otherClusters: [shardB],
    ...options,
  });
  const shards = { 'shard-a': run.kube, 'shard-b': KubeClient.fromKubeconfigFile(shardB) };
  return {
    run,
    shards,
    app: (shard, uid) =>
      shards[shard].get({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: run.tenantNamespace(uid),
        name: 'app',
      }),
    stop: async () => {
      await run.stop();
      shards['shard-b'].close();
    },
  };
}

/** The image of a Deployment's first container. */
export function imageOf(deployment: KubeObject | undefined): string | undefined {
  return (deployment?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined)
    ?.template.spec.containers[0]?.image;
}
