import { contentHash } from '../../contracts/index.js';
import { affectedNodes, type MaterializerConfig } from './affected-nodes.js';
import { type DesiredNode, desiredFor } from './desired-for.js';
import { MaterializedState, type TableRole } from './materialized-state.js';
import type { NodeRef, TableChange } from './table-change.js';

// Change records in, desired-state updates out. Remembers what it last
// produced per node, so an update that changes nothing a form renders (a
// column no template uses, a duplicate delivery, a replay) produces nothing.

export interface NodeUpdate {
  id: string;
  result: DesiredNode;
  /** contentHash of what the desired record holds; every absent result of one id hashes the same. */
  hash: string;
}

export class Materializer {
  readonly state: MaterializedState;
  /** Last hash produced per node id. Absent nodes stay, so a second delete yields no second tombstone. */
  private readonly lastHash = new Map<string, string>();

  constructor(private readonly config: MaterializerConfig) {
    this.state = new MaterializedState(config.hubs);
  }

  apply(change: TableChange, role: TableRole = 'any'): NodeUpdate[] {
    const { effects } = this.state.apply(change, role);
    return this.render(affectedNodes(this.config, this.state, effects));
  }

  /** Forgets the hub rows and what was produced: the processor is about to rebuild another share of the hubs. */
  resetHubs(): void {
    this.state.clearHubRows();
    this.lastHash.clear();
  }

  /** Takes what the desired topic holds as already produced (node id → contentHash, or absentHash for a tombstone). */
  seedProduced(hashes: ReadonlyMap<string, string>): void {
    for (const [id, hash] of hashes) this.lastHash.set(id, hash);
  }

  /**
   * Renders every node of the rows held and returns those that differ from
   * what was produced (or seeded). After a restart this is what a changed
   * form, a lookup change that was read but not yet produced, or a config
   * that now filters rows out amounts to.
   */
  reconcile(): NodeUpdate[] {
    const refs: NodeRef[] = [];
    for (const form of this.config.forms) {
      for (const uid of this.state.hubUids(form.hub))
        refs.push({ id: `${form.name}/${uid}`, form: form.name, hub: form.hub, uid });
    }
    return this.render(refs);
  }

  private render(refs: readonly NodeRef[]): NodeUpdate[] {
    const updates: NodeUpdate[] = [];
    for (const ref of refs) {
      const result = desiredFor(this.config, this.state, ref);
      const hash = hashOf(result);
      if (this.lastHash.get(ref.id) === hash) continue;
      this.lastHash.set(ref.id, hash);
      updates.push({ id: ref.id, result, hash });
    }
    return updates;
  }
}

/** The hash every absent result of a node has: what a tombstone in the desired topic stands for. */
export function absentHash(id: string): string {
  return contentHash({ kind: 'absent', id });
}

/**
 * Inactive, filtered and deleted all become the same tombstone, so they hash
 * alike: a node that goes inactive, then is deleted, yields one tombstone. A
 * node never seen before that is absent still yields one: the desired topic
 * may hold it from before a restart, and a tombstone is harmless.
 */
function hashOf(result: DesiredNode): string {
  return result.kind === 'absent' ? absentHash(result.id) : contentHash(result);
}
