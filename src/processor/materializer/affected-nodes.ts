import type { FormConfig } from '../../core/config/form-schema.js';
import type { HubConfig } from '../../core/config/hub-schema.js';
import type { MaterializedState, RowEffect } from './materialized-state.js';
import { keyText, type NodeRef } from './table-change.js';

// Which nodes may render differently after a change. Computed from the
// effects of applying it (the stored row before and after), not from the raw
// envelope: a PostgreSQL update without REPLICA IDENTITY FULL has no `before`,
// yet the old uid is needed to tombstone the node it named.

export interface MaterializerConfig {
  hubs: readonly HubConfig[];
  forms: readonly FormConfig[];
  /** The configured cluster names (kubernetes.clusters) a form's cluster may render; undefined: none configured. */
  clusters?: readonly string[] | undefined;
}

export function affectedNodes(
  config: MaterializerConfig,
  state: MaterializedState,
  effects: readonly RowEffect[],
): NodeRef[] {
  const refs = new Map<string, NodeRef>();
  for (const effect of effects) {
    const hub = config.hubs.find((candidate) => candidate.name === effect.hub);
    if (hub === undefined) continue;
    const column = effect.kind === 'hub' ? hub.uid : lookupKey(hub, effect.lookup);
    if (column === undefined) continue;
    // Old and new value: a changed uid (or lookup key) moves the row from one node to another.
    const uids = new Set<string>();
    for (const row of [effect.before, effect.after]) {
      const uid = row === null ? undefined : keyText(row[column]);
      if (uid === undefined) continue;
      // A lookup row only matters to hub rows that exist; a hub row's old uid
      // matters even when no row has it any more (its node is tombstoned).
      if (effect.kind === 'lookup' && state.hubKeys(hub.name, uid).length === 0) continue;
      uids.add(uid);
    }
    for (const form of config.forms) {
      if (form.hub !== hub.name) continue;
      for (const uid of uids) {
        const id = `${form.name}/${uid}`;
        refs.set(id, { id, form: form.name, hub: hub.name, uid });
      }
    }
  }
  return [...refs.values()];
}

function lookupKey(hub: HubConfig, name: string): string | undefined {
  return hub.lookups.find((lookup) => lookup.name === name)?.key;
}
