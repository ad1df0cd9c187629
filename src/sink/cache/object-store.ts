import { refKey } from '../inventory.js';
import type { KubeObject } from '../kube/index.js';

// The cache's memory: the newest version of every object the watches deliver,
// by refKey. Each change is told to listeners as it happens, with what the
// object was before, so readiness waits and drift checks react to the event
// itself instead of asking the server again.

export type StoreChangeType = 'added' | 'modified' | 'deleted';

export interface StoreChange {
  type: StoreChangeType;
  key: string;
  /** The object now; for 'deleted', the last version seen. */
  object: KubeObject;
  previous: KubeObject | undefined;
}

export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly listeners = new Set<(change: StoreChange) => void>();

  /** `slim`: what is kept of each object (the cache drops what nobody reads, to bound memory). */
  constructor(private readonly slim: (object: KubeObject) => KubeObject = (object) => object) {}

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  values(): IterableIterator<KubeObject> {
    return this.objects.values();
  }

  get size(): number {
    return this.objects.size;
  }

  /** Calls `listener` with every change from now on; returns how to stop. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  upsert(received: KubeObject): void {
    const object = this.slim(received);
    const key = refKey(refOfObject(object));
    const previous = this.objects.get(key);
    // The same version again (a re-list of an unchanged object) is no change.
    if (previous?.metadata.resourceVersion === object.metadata.resourceVersion && previous !== undefined)
      return;
    this.objects.set(key, object);
    this.emit({ type: previous === undefined ? 'added' : 'modified', key, object, previous });
  }

  remove(object: KubeObject): void {
    const key = refKey(refOfObject(object));
    const previous = this.objects.get(key);
    if (previous === undefined) return;
    this.objects.delete(key);
    this.emit({ type: 'deleted', key, object, previous });
  }

  /**
   * A fresh LIST of one reflector's share (`owns` says which keys are its):
   * objects missing from it were deleted while no watch ran.
   */
  replace(items: readonly KubeObject[], owns: (object: KubeObject) => boolean): void {
    const listed = new Set(items.map((object) => refKey(refOfObject(object))));
    for (const [key, object] of [...this.objects]) if (owns(object) && !listed.has(key)) this.remove(object);
    for (const object of items) this.upsert(object);
  }

  private emit(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function refOfObject(object: KubeObject): {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
} {
  const ref = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name ?? '' };
  return object.metadata.namespace ? { ...ref, namespace: object.metadata.namespace } : ref;
}
