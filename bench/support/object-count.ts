import { KubeConfig } from '@kubernetes/client-node';
import { KubeTransport } from '../../src/sink/kube/kube-transport.js';

// How many objects of a kind a namespace holds, asked of the apiserver in one
// small request: a list of limit=1 carries the count of the rest in
// metadata.remainingItemCount. Listing 300,000 objects to count them would
// load the apiserver the bench measures; per-object GETs even more.
// remainingItemCount is left out when a selector is given, so the bench's
// namespaces hold nothing else of these kinds but what the bench counts
// (and the kube-root-ca.crt ConfigMap every namespace gets, counted before).

export class ObjectCounter {
  private readonly transport: KubeTransport;

  constructor(kubeconfigPath: string) {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    this.transport = new KubeTransport(kubeConfig);
  }

  /** Objects of a core (v1) resource in the namespace. */
  async count(namespace: string, resource: string): Promise<number> {
    const response = await this.transport.request({
      method: 'GET',
      path: `/api/v1/namespaces/${namespace}/${resource}`,
      query: { limit: '1' },
    });
    if (response.status !== 200)
      throw new Error(
        `counting ${resource} in ${namespace}: HTTP ${response.status} ${JSON.stringify(response.body)}`,
      );
    const list = response.body as { items?: unknown[]; metadata?: { remainingItemCount?: number } };
    return (list.items?.length ?? 0) + (list.metadata?.remainingItemCount ?? 0);
  }

  /** The sum over core resources, e.g. the ConfigMaps, Secrets and Services of the bench's form. */
  async total(namespace: string, resources: readonly string[]): Promise<number> {
    const counts = await Promise.all(resources.map((r) => this.count(namespace, r)));
    return counts.reduce((a, b) => a + b, 0);
  }

  close(): void {
    this.transport.close();
  }
}
