import type { AppliedHashes } from '../apply/sink-context.js';
import { refKey } from '../inventory.js';
import type { KubeObject, KubeWatchApi, ObjectRef } from '../kube/index.js';
import type { RequestLimiter } from '../runner/request-limiter.js';
import { cachedFingerprint, cachedView } from './cached-view.js';
import { fingerprint } from './object-fingerprint.js';
import { ObjectStore, type StoreChange } from './object-store.js';
import { Reflector } from './reflector.js';

// The watch-fed cache of the objects one installation owns, like a client-go
// informer: one reflector per kind the forms name (per namespace when
// allowedNamespaces names them all), label-selected by the owner labels so it
// holds rowkube's objects only. Readiness waits on its events, drift is seen
// in them, and the inventory at start is its first LIST.
//
// It also remembers what rowkube itself last wrote to each object (the
// version and content fingerprint of the apply's answer): an event whose
// content differs from that was made by someone else.

export interface OwnedCacheOptions {
  kube: KubeWatchApi & { isNamespaced(apiVersion: string, kind: string): Promise<boolean> };
  limiter: RequestLimiter;
  selector: string;
  kinds: readonly { apiVersion: string; kind: string }[];
  /** Watch namespaced kinds in each of these only (what Roles allow); undefined: across the cluster. */
  namespaces?: readonly string[] | undefined;
  /** A list or watch failed; the cache tries again after retryInMs. */
  onError?: (where: string, error: unknown, retryInMs: number) => void;
  /** Server-side watch timeout; the watch is opened again from where it got. Default 300 s. */
  watchTimeoutSeconds?: number;
}

/** The number of the change that put a cached object there (no map of counters per object). */
const CHANGE = Symbol('change number');
type Sequenced = KubeObject & { [CHANGE]?: number };

interface OwnState {
  resourceVersion: string;
  fingerprint: string;
  /** The resource's ignoreFields: changes there are not drift. */
  ignoreFields: readonly string[];
  /** The content hash rowkube last applied (appliedHashes), kept here rather than in a second map per object. */
  applied: string | undefined;
}

export class OwnedCache {
  // Each object as the cache's view of it (cached-view.ts): its fingerprint taken with the ignoreFields of rowkube's last write.
  private readonly store = new ObjectStore((object) => this.view(object));
  private readonly reflectors = new Map<string, Reflector[]>();
  private readonly own = new Map<string, OwnState>();
  /** Applied hashes of objects with no own state (forgotten, or not seen yet): few. */
  private readonly appliedElsewhere = new Map<string, string>();
  /** SinkContext.appliedHashes: in each object's own state where it has one. */
  readonly appliedHashes: AppliedHashes = {
    get: (key) => this.own.get(key)?.applied ?? this.appliedElsewhere.get(key),
    has: (key) => this.appliedHashes.get(key) !== undefined,
    set: (key, hash) => {
      const own = this.own.get(key);
      if (own === undefined) this.appliedElsewhere.set(key, hash);
      else {
        own.applied = hash;
        this.appliedElsewhere.delete(key);
      }
    },
    delete: (key) => {
      const own = this.own.get(key);
      if (own !== undefined) own.applied = undefined;
      this.appliedElsewhere.delete(key);
    },
  };
  /** Numbers every change the store sees; each cached object carries the number of the change that put it there. */
  private sequence = 0;
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly controller = new AbortController();

  private constructor() {
    this.store.subscribe((change) => this.changed(change));
  }

  /** Lists every kind (rejects if the API server cannot be asked), then watches in the background until close. */
  static async open(options: OwnedCacheOptions): Promise<OwnedCache> {
    const cache = new OwnedCache();
    const { kube, limiter, selector } = options;
    const timeoutSeconds = options.watchTimeoutSeconds ?? 300;
    const signal = cache.controller.signal;
    try {
      for (const { apiVersion, kind } of options.kinds) {
        const scoped =
          options.namespaces !== undefined && (await limiter.run(() => kube.isNamespaced(apiVersion, kind)));
        const reflectors: Reflector[] = [];
        for (const namespace of scoped ? (options.namespaces ?? []) : [undefined]) {
          const where = `${kind} (${apiVersion})${namespace === undefined ? '' : ` in namespace ${namespace}`}`;
          const scope = namespace === undefined ? {} : { namespace };
          const reflector = new Reflector(
            {
              where,
              // Each page as views right away: 100,000 whole objects at once would be several times the cache.
              list: () =>
                limiter.run(() =>
                  kube.listVersioned(apiVersion, kind, selector, {
                    ...scope,
                    keep: (object) => cache.view(object),
                  }),
                ),
              // Spread over time like client-go, so the watches of many kinds do not all reopen at once.
              watch: (resourceVersion, watchSignal) =>
                kube.watch(apiVersion, kind, selector, {
                  ...scope,
                  resourceVersion,
                  timeoutSeconds: Math.round(timeoutSeconds * (1 + Math.random())),
                  signal: watchSignal,
                }),
              owns: (object) =>
                object.apiVersion === apiVersion &&
                object.kind === kind &&
                (namespace === undefined || object.metadata.namespace === namespace),
            },
            cache.store,
            { onError: (error, retryInMs) => options.onError?.(where, error, retryInMs) },
          );
          await reflector.start(signal);
          reflectors.push(reflector);
        }
        cache.reflectors.set(kindKey(apiVersion, kind), reflectors);
      }
    } catch (error) {
      cache.close();
      throw error;
    }
    // What was found is what rowkube last wrote, as far as it can tell.
    for (const object of cache.store.values()) cache.found(object);
    return cache;
  }

  /** Every object the cache holds. */
  objects(): IterableIterator<KubeObject> {
    return this.store.values();
  }

  /** Whether the cache follows this kind now: listed, and its watches running (or about to). */
  synced(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>): boolean {
    const reflectors = this.reflectors.get(kindKey(ref.apiVersion, ref.kind));
    return reflectors?.every((reflector) => reflector.healthy) === true;
  }

  /**
   * The object as the cache has it, once the cache has seen rowkube's last
   * write to it: 'behind' until the event of that write arrived.
   */
  lookup(ref: ObjectRef): { object: KubeObject | undefined } | 'behind' {
    const key = refKey(ref);
    const object = this.store.get(key);
    const written = this.own.get(key)?.resourceVersion;
    if (written === undefined) return { object };
    if (object === undefined) return 'behind';
    return newerOrSame(object.metadata.resourceVersion, written) ? { object } : 'behind';
  }

  /** The number of the object's last change (0: absent): pass it to `nextChange`. */
  version(ref: ObjectRef): number {
    // 0 while the object is absent: absent again after changes is the state a waiter judged, not a change to miss.
    return (this.store.get(refKey(ref)) as Sequenced | undefined)?.[CHANGE] ?? 0;
  }

  /** Resolves at the object's next change after `since`, after `ms`, or when the signal aborts. */
  nextChange(ref: ObjectRef, since: number, ms: number, signal: AbortSignal): Promise<void> {
    const key = refKey(ref);
    if (this.version(ref) !== since || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.waiters.get(key) ?? new Set<() => void>();
      this.waiters.set(key, waiters);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(key) === waiters) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }

  /**
   * rowkube wrote the object (the server's answer): events with this content
   * are its own. `ignoreFields`: the resource's, left out of the comparison.
   */
  wrote(object: KubeObject, ignoreFields: readonly string[] = []): void {
    const key = refKey(refOfObject(object));
    this.own.set(key, {
      resourceVersion: object.metadata.resourceVersion ?? '',
      fingerprint: fingerprint(object, ignoreFields),
      ignoreFields,
      applied: this.appliedHashes.get(key),
    });
    this.appliedElsewhere.delete(key);
  }

  /** An object the first LIST found: its content as listed counts as rowkube's last write. */
  private found(view: KubeObject): void {
    const key = refKey(refOfObject(view));
    this.own.set(key, {
      resourceVersion: view.metadata.resourceVersion ?? '',
      fingerprint: cachedFingerprint(view, []) ?? '',
      ignoreFields: [],
      applied: this.appliedHashes.get(key),
    });
    this.appliedElsewhere.delete(key);
  }

  private view(object: KubeObject): KubeObject {
    const own = this.own.get(refKey(refOfObject(object)));
    const version = object.metadata.resourceVersion;
    const known = own !== undefined && own.resourceVersion === version ? own.fingerprint : undefined;
    return cachedView(object, own?.ignoreFields ?? [], known);
  }

  /** rowkube deletes the object or gives it up (Retain): its disappearance is not drift. */
  forget(ref: ObjectRef): void {
    const key = refKey(ref);
    const applied = this.own.get(key)?.applied;
    this.own.delete(key);
    // What was applied stays known, as it would in a map of its own.
    if (applied !== undefined) this.appliedElsewhere.set(key, applied);
  }

  /**
   * Whether someone else changed the object since rowkube wrote it: it is
   * gone, or its content is not what rowkube's last write left.
   */
  drifted(ref: ObjectRef): boolean {
    const key = refKey(ref);
    const own = this.own.get(key);
    if (own === undefined) return false;
    const object = this.store.get(key);
    if (object === undefined) return true;
    if (object.metadata.resourceVersion === own.resourceVersion) return false;
    // Unknown (taken with other ignoreFields): a re-apply finds out, and changes nothing if nothing drifted.
    return cachedFingerprint(object, own.ignoreFields) !== own.fingerprint;
  }

  /**
   * Whether this change is someone else's: the object is gone, or the change
   * itself altered its content away from what rowkube last wrote. A change
   * that leaves the content as it was (status, while a conflict keeps
   * someone else's field) is not drift again.
   */
  isDrift(change: StoreChange): boolean {
    const own = this.own.get(change.key);
    if (own === undefined) return false;
    if (change.type === 'deleted') return true;
    const { object, previous } = change;
    if (object.metadata.resourceVersion === own.resourceVersion) return false;
    const now = cachedFingerprint(object, own.ignoreFields);
    if (now !== undefined && now === own.fingerprint) return false;
    return (
      now === undefined || previous === undefined || cachedFingerprint(previous, own.ignoreFields) !== now
    );
  }

  /** Calls `listener` with every change the watches deliver. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    return this.store.subscribe(listener);
  }

  close(): void {
    this.controller.abort();
  }

  private changed(change: StoreChange): void {
    this.sequence += 1;
    if (change.type !== 'deleted') (change.object as Sequenced)[CHANGE] = this.sequence;
    for (const waiter of [...(this.waiters.get(change.key) ?? [])]) waiter();
  }
}

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

/** resourceVersions are etcd revisions in practice; when they are not numbers, trust the cache. */
function newerOrSame(version: string | undefined, than: string): boolean {
  if (version === undefined || !/^\d+$/.test(version) || !/^\d+$/.test(than)) return true;
  return BigInt(version) >= BigInt(than);
}

function refOfObject(object: KubeObject): ObjectRef {
  const ref: ObjectRef = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name ?? '',
  };
  if (object.metadata.namespace) ref.namespace = object.metadata.namespace;
  return ref;
}
