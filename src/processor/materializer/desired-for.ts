import type { FormConfig } from '../../core/config/form-schema.js';
import type { HubConfig } from '../../core/config/hub-schema.js';
import { nodeError, ROW_ERROR_CODE } from '../node-error.js';
import { type RenderedNode, renderNode } from '../render-node.js';
import type { MaterializerConfig } from './affected-nodes.js';
import type { MaterializedState } from './materialized-state.js';
import type { NodeRef } from './table-change.js';

// What the desired topic should hold for one node, from the current state.

/** A render result, or 'deleted' when no hub row has the uid any more (→ tombstone). */
export type DesiredNode = RenderedNode | { kind: 'absent'; id: string; reason: 'deleted' };

/**
 * `definition`: the form definition to render with, when not the configured
 * one (a rollout's previous version). `nowMs`: the time expireAt is compared
 * with (renderNode).
 */
export function desiredFor(
  config: MaterializerConfig,
  state: MaterializedState,
  ref: NodeRef,
  definition?: FormConfig,
  nowMs?: number,
): DesiredNode {
  const hub = config.hubs.find((candidate) => candidate.name === ref.hub);
  const form = definition ?? config.forms.find((candidate) => candidate.name === ref.form);
  if (hub === undefined || form === undefined) throw new Error(`desiredFor: unknown node ${ref.id}`);

  const keys = state.hubKeys(hub.name, ref.uid);
  const [key] = keys;
  if (key === undefined) return { kind: 'absent', id: ref.id, reason: 'deleted' };
  // Two rows claiming one node id: rendering either would make the node flip
  // with arrival order, so the node is an error until the data is fixed.
  if (keys.length > 1) return duplicateUid(form, hub, ref, keys);

  const row = state.hubRow(hub.name, key);
  if (row === undefined) throw new Error(`desiredFor: index and rows disagree for ${ref.id}`);
  return renderNode({
    form,
    hub,
    row,
    lookups: state.lookupRows(hub.name, ref.uid),
    clusters: config.clusters,
    ...(nowMs === undefined ? {} : { nowMs }),
  });
}

function duplicateUid(form: FormConfig, hub: HubConfig, ref: NodeRef, keys: string[]): DesiredNode {
  const message = `form '${form.name}' hub '${hub.name}': rows ${keys.map((k) => JSON.stringify(k)).join(', ')} share the uid ${JSON.stringify(ref.uid)} (column '${hub.uid}'); a uid must identify one row`;
  return { kind: 'error', id: ref.id, error: nodeError(ROW_ERROR_CODE, message) };
}
