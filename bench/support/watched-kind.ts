import { performance } from 'node:perf_hooks';
import { ObjectStore } from '../../src/sink/cache/object-store.js';
import { Reflector } from '../../src/sink/cache/reflector.js';
import type { KubeClient, KubeObject } from '../../src/sink/kube/index.js';

// What a benchmark sees of the cluster, seen the way the sink sees it: one
// kind followed by the sink's own reflector (LIST, then WATCH), so that
// "all Ingresses exist" or "the edit was undone" is known when the event
// arrives, without polling the API server the bench is measuring.

export class WatchedKind {
  readonly store = new ObjectStore();
  private readonly controller = new AbortController();

  private constructor(readonly what: string) {}

  static async open(
    kube: KubeClient,
    apiVersion: string,
    kind: string,
    labelSelector: string,
  ): Promise<WatchedKind> {
    const watched = new WatchedKind(`${kind} with labels '${labelSelector}'`);
    const reflector = new Reflector(
      {
        where: watched.what,
        list: () => kube.listVersioned(apiVersion, kind, labelSelector),
        watch: (resourceVersion, signal) =>
          kube.watch(apiVersion, kind, labelSelector, { resourceVersion, timeoutSeconds: 600, signal }),
        owns: () => true,
      },
      watched.store,
    );
    await reflector.start(watched.controller.signal);
    return watched;
  }

  /**
   * Resolves with performance.now() of the change after which `count`
   * objects match (or `holds` says so); rejects after `timeoutMs`.
   */
  until(
    description: string,
    holds: { count: number; matches: (object: KubeObject) => boolean },
    timeoutMs: number,
  ): Promise<number> {
    const matching = new Set<string>();
    const keyOf = (object: KubeObject) => `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
    for (const object of this.store.values()) if (holds.matches(object)) matching.add(keyOf(object));
    if (matching.size >= holds.count) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(
          new Error(
            `${description}: not within ${timeoutMs / 1000} s (${matching.size} of ${holds.count}; ${this.what})`,
          ),
        );
      }, timeoutMs);
      const stop = this.store.subscribe((change) => {
        const key = keyOf(change.object);
        if (change.type !== 'deleted' && holds.matches(change.object)) matching.add(key);
        else matching.delete(key);
        if (matching.size < holds.count) return;
        clearTimeout(timer);
        stop();
        resolve(performance.now());
      });
    });
  }

  close(): void {
    this.controller.abort();
  }
}

/** apps/v1 Deployment with the Available condition True. */
export function isAvailable(object: KubeObject): boolean {
  const conditions = (object.status as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true;
}
