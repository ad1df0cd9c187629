import { contentHash } from '../canonical-json.js';
import { affectedNodes, type MaterializerConfig } from './affected-nodes.js';
import { type DesiredNode, desiredFor } from './desired-for.js';
import { MaterializedState } from './materialized-state.js';
import type { TableChange } from './table-change.js';

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

  apply(change: TableChange): NodeUpdate[] {
    const { effects } = this.state.apply(change);
    const updates: NodeUpdate[] = [];
    for (const ref of affectedNodes(this.config, this.state, effects)) {
      const result = desiredFor(this.config, this.state, ref);
      const hash = hashOf(result);
      if (this.lastHash.get(ref.id) === hash) continue;
      this.lastHash.set(ref.id, hash);
      updates.push({ id: ref.id, result, hash });
    }
    return updates;
  }
}

/**
 * Inactive, filtered and deleted all become the same tombstone, so they hash
 * alike: a node that goes inactive, then is deleted, yields one tombstone. A
 * node never seen before that is absent still yields one: the desired topic
 * may hold it from before a restart, and a tombstone is harmless.
 */
function hashOf(result: DesiredNode): string {
  return contentHash(result.kind === 'absent' ? { kind: 'absent', id: result.id } : result);
}
