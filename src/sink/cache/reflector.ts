import { abortableSleep } from '../../core/abortable-sleep.js';
import type { KubeObject, VersionedList, WatchEvent } from '../kube/index.js';
import { WatchError } from '../kube/index.js';
import type { ObjectStore } from './object-store.js';

// One kind (in one namespace, or across the cluster) kept in the store, as
// client-go's reflector does: LIST, then WATCH from the list's
// resourceVersion with bookmarks, going on from the last version seen when a
// watch ends; a new LIST when the server says that version is gone (410);
// and, when the API server is away, trying again with doubling pauses for as
// long as it takes. Only the first LIST may fail to the caller: before it the
// cache knows nothing, after it the cache is only late.

export interface ListWatch {
  /** What the reflector is about, for logs. */
  where: string;
  list(): Promise<VersionedList>;
  watch(resourceVersion: string, signal: AbortSignal): Promise<AsyncIterable<WatchEvent>>;
  /** Whether an object in the store is this reflector's (its kind and namespace). */
  owns(object: KubeObject): boolean;
}

export interface ReflectorOptions {
  /** First pause after a failure; doubles up to maxBackoffMs. Default 200. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A failure of the list or the watch, and the pause before the next try. */
  onError?: (error: unknown, retryInMs: number) => void;
  /** The watch runs again after a failure (the store is current from here on). */
  onRecovered?: () => void;
}

export class Reflector {
  /** The version the store holds this share at: a watch goes on from it. */
  resourceVersion = '';
  /** A list has filled the store and a watch keeps it current (false while reconnecting). */
  healthy = false;
  private listed = false;

  constructor(
    private readonly source: ListWatch,
    private readonly store: ObjectStore,
    private readonly options: ReflectorOptions = {},
  ) {}

  /** Resolves once the first LIST is in the store (rejects if it fails), then keeps watching until the signal. */
  async start(signal: AbortSignal): Promise<void> {
    await this.list();
    void this.run(signal);
  }

  /** One LIST into the store. */
  async list(): Promise<void> {
    const { items, resourceVersion } = await this.source.list();
    this.store.replace(items, (object) => this.source.owns(object));
    this.resourceVersion = resourceVersion;
    this.listed = true;
    this.healthy = true;
  }

  /** Handles one watch event: the store follows it, bookmarks only move the version. */
  handle(event: WatchEvent): void {
    const version = event.object.metadata.resourceVersion;
    if (event.type === 'ADDED' || event.type === 'MODIFIED') this.store.upsert(event.object);
    else if (event.type === 'DELETED') this.store.remove(event.object);
    if (version) this.resourceVersion = version;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const initial = this.options.initialBackoffMs ?? 200;
    const max = this.options.maxBackoffMs ?? 10_000;
    let pause = initial;
    let failing = false;
    while (!signal.aborted) {
      try {
        if (!this.listed) await this.list();
        const events = await this.source.watch(this.resourceVersion, signal);
        this.healthy = true;
        if (failing) this.options.onRecovered?.();
        failing = false;
        pause = initial;
        for await (const event of events) this.handle(event);
        // The server ended the watch (its timeout): go on from the last version.
      } catch (error) {
        this.healthy = false;
        if (signal.aborted) return;
        if (error instanceof WatchError && error.gone) {
          // Too old to go on from: what changed meanwhile only a new LIST can tell.
          this.listed = false;
          continue;
        }
        failing = true;
        this.options.onError?.(error, pause);
        await abortableSleep(pause, signal);
        pause = Math.min(pause * 2, max);
      }
    }
  }
}
