import { describe, expect, it } from 'vitest';
import { cachedFingerprint, cachedView } from '../../src/sink/cache/cached-view.js';
import { fingerprint } from '../../src/sink/cache/object-fingerprint.js';
import { OwnedCache } from '../../src/sink/cache/owned-cache.js';
import type { KubeObject, KubeWatchApi, WatchEvent, WatchOptions } from '../../src/sink/kube/index.js';
import { RequestLimiter } from '../../src/sink/runner/request-limiter.js';
import { waitFor } from '../../support/wait-for.js';

// The cache's own decisions, on an in-memory list and a watch the test feeds:
// when a cached copy may be judged (it has caught up with rowkube's write),
// and what counts as drift (someone else's content, a deletion) and what not
// (rowkube's own write, a status change, an object rowkube let go of).

const cm = (rv: string, data: Record<string, string>, status?: object): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'ns', resourceVersion: rv, labels: { a: 'b' } },
    data,
    ...(status ? { status } : {}),
  }) as KubeObject;
const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'c' };
const rv = (resourceVersion: string) => expect.objectContaining({ resourceVersion });

class FedWatch implements KubeWatchApi {
  private push: ((event: WatchEvent) => void) | undefined;
  private readonly queue: WatchEvent[] = [];

  constructor(private readonly items: KubeObject[]) {}

  async listVersioned() {
    return { items: this.items, resourceVersion: '10' };
  }

  async isNamespaced() {
    return true;
  }

  async watch(_apiVersion: string, _kind: string, _selector: string, options: WatchOptions) {
    const self = this;
    return (async function* () {
      while (!options.signal.aborted) {
        const next = self.queue.shift();
        if (next !== undefined) yield next;
        else
          await new Promise<void>((resolve) => {
            self.push = () => resolve();
            options.signal.addEventListener('abort', () => resolve(), { once: true });
          });
      }
    })();
  }

  send(event: WatchEvent): void {
    this.queue.push(event);
    this.push?.(event);
  }
}

async function openCache(fed: FedWatch): Promise<OwnedCache> {
  return OwnedCache.open({
    kube: fed,
    limiter: new RequestLimiter(4),
    selector: 'x=y',
    kinds: [{ apiVersion: 'v1', kind: 'ConfigMap' }],
  });
}

describe('sink > cache > owned cache', () => {
  it('holds a copy older than rowkube’s last write back until the watch delivers that write', async () => {
    const fed = new FedWatch([cm('5', { v: 'old' })]);
    const cache = await openCache(fed);
    try {
      expect(cache.synced(ref)).toBe(true);
      // The cache keeps no data (cached-view.ts): which version it holds says which copy it is.
      expect(cache.lookup(ref)).toEqual({ object: expect.objectContaining({ metadata: rv('5') }) });
      cache.wrote(cm('12', { v: 'new' }));
      expect(cache.lookup(ref)).toBe('behind');
      const since = cache.version(ref);
      fed.send({ type: 'MODIFIED', object: cm('12', { v: 'new' }) });
      await cache.nextChange(ref, since, 5_000, new AbortController().signal);
      expect(cache.lookup(ref)).toEqual({ object: expect.objectContaining({ metadata: rv('12') }) });
      expect(cache.drifted(ref)).toBe(false);
    } finally {
      cache.close();
    }
  });

  it('calls a changed field or a deletion drift, a status change not, and forgets what rowkube removes', async () => {
    const fed = new FedWatch([cm('5', { v: 'desired' })]);
    const cache = await openCache(fed);
    try {
      fed.send({ type: 'MODIFIED', object: cm('6', { v: 'desired' }, { phase: 'x' }) });
      await waitFor('the status event', async () => (cache.version(ref) >= 2 ? true : undefined));
      expect(cache.drifted(ref)).toBe(false);
      const changes: boolean[] = [];
      const stop = cache.subscribe((change) => changes.push(cache.isDrift(change)));
      fed.send({ type: 'MODIFIED', object: cm('7', { v: 'edited' }) });
      await waitFor('the edit', async () => (cache.drifted(ref) ? true : undefined));
      // A status change of an object someone else's content is in is not drift again.
      fed.send({ type: 'MODIFIED', object: cm('7b', { v: 'edited' }, { phase: 'y' }) });
      await waitFor('the status event', async () => (changes.length >= 2 ? true : undefined));
      expect(changes).toEqual([true, false]);
      stop();
      cache.wrote(cm('8', { v: 'desired' }));
      fed.send({ type: 'MODIFIED', object: cm('8', { v: 'desired' }) });
      await waitFor('the write', async () => (cache.drifted(ref) ? undefined : true));
      fed.send({ type: 'DELETED', object: cm('9', { v: 'desired' }) });
      await waitFor('the deletion', async () => (cache.drifted(ref) ? true : undefined));
      cache.forget(ref);
      expect(cache.drifted(ref)).toBe(false);
    } finally {
      cache.close();
    }
  });
});

describe('sink > cache > cached view', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'ns',
      resourceVersion: '3',
      generation: 2,
      labels: { 'app.kubernetes.io/managed-by': 'rowkube', 'rowkube.io/node': 'n', app: 'web' },
      annotations: { 'rowkube.io/node-id': 'f/1', 'rowkube.io/source-position': '{"file":"x"}' },
      managedFields: [{ manager: 'rowkube' }],
    },
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'i' }] } } },
    status: { observedGeneration: 2, readyReplicas: 2 },
  } as unknown as KubeObject;

  it('keeps what readiness and ownership read, and the content only as its fingerprint', () => {
    const view = cachedView(deployment, []);
    expect(JSON.parse(JSON.stringify(view))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'ns',
        resourceVersion: '3',
        generation: 2,
        labels: { 'app.kubernetes.io/managed-by': 'rowkube', 'rowkube.io/node': 'n' },
        annotations: { 'rowkube.io/node-id': 'f/1' },
      },
      spec: { replicas: 2 },
      status: { observedGeneration: 2, readyReplicas: 2 },
    });
    expect(cachedFingerprint(view, [])).toBe(fingerprint(deployment));
    // Taken with other ignoreFields: not known.
    expect(cachedFingerprint(view, ['spec.replicas'])).toBeUndefined();
  });
});
