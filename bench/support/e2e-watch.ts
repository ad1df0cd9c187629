import type { KubeClient, KubeObject } from '../../src/sink/kube/index.js';
import { ownerSelector } from '../../src/sink/ownership/index.js';
import { tenantUid } from './tenant-rows.js';
import { WatchedKind } from './watched-kind.js';

// What a user of the cluster sees of the steady phase's updates: a watch on
// the run's ConfigMaps (LIST, then WATCH, with the sink's own reflector,
// support/watched-kind.ts), noting when each tenant's ConfigMap first showed
// each `revision`. The end point of issue 14's latency ("the writer's clock
// before each UPDATE → the watch event with the new value"): later than the
// audit event's appliedAtMs by the apiserver's watch delivery, and not
// trusting the sink's own account of what it applied.

/** The ConfigMap of tenant `id` (bench-config.ts names it `<uid>-config`). */
export function configMapName(id: number): string {
  return `${tenantUid(id)}-config`;
}

/** A revision as the ConfigMap's data holds it (a string); undefined when absent or not a number. */
function revisionOf(object: KubeObject): number | undefined {
  const text = (object.data as Record<string, unknown> | undefined)?.revision;
  const value = typeof text === 'string' ? Number(text) : Number.NaN;
  return Number.isInteger(value) ? value : undefined;
}

export class RevisionWatch {
  /** Per ConfigMap name: each revision it showed, with Date.now() when its watch event arrived, in order. */
  private readonly seen = new Map<string, { revision: number; atMs: number }[]>();

  private constructor(private readonly watched: WatchedKind) {
    watched.store.subscribe((change) => {
      if (change.type === 'deleted') return;
      const revision = revisionOf(change.object);
      if (revision === undefined) return;
      const name = change.object.metadata.name ?? '';
      const list = this.seen.get(name) ?? [];
      const last = list[list.length - 1];
      if (last !== undefined && last.revision === revision) return; // a change of something else
      list.push({ revision, atMs: Date.now() });
      this.seen.set(name, list);
    });
  }

  /** Starts following the ConfigMaps of one run (its topic prefix); resolves once listed and watching. */
  static async open(kube: KubeClient, prefix: string): Promise<RevisionWatch> {
    return new RevisionWatch(await WatchedKind.open(kube, 'v1', 'ConfigMap', ownerSelector(prefix)));
  }

  /** The revision each ConfigMap holds now, as the watch last saw it, by name. */
  currentRevisions(): Map<string, number> {
    const revisions = new Map<string, number>();
    for (const object of this.watched.store.values()) {
      const revision = revisionOf(object);
      if (revision !== undefined) revisions.set(object.metadata.name ?? '', revision);
    }
    return revisions;
  }

  /**
   * Date.now() of the first watch event showing `revision` or a later one
   * (a write the sink superseded by the next shows up with that next one).
   */
  shownAtMs(name: string, revision: number): number | undefined {
    return this.seen.get(name)?.find((entry) => entry.revision >= revision)?.atMs;
  }

  close(): void {
    this.watched.close();
  }
}
