import type { Provenance } from '../../contracts/index.js';
import type { RowkubeConfig } from '../../core/config/config-schema.js';
import { absentHash, type Materializer, type NodeUpdate } from '../materializer/index.js';
import type { ProducedUpdate } from './desired-output.js';

// What a take-over produces once the owned hub rows are rebuilt and the
// materializer knows what `<prefix>.desired` holds: every owned node whose
// rendering differs from its record, and tombstones for the nodes of forms
// no longer configured.

/** The updates a take-over commits, given what the desired topic holds (node id → contentHash). */
export function reconciledUpdates(
  config: RowkubeConfig,
  materializer: Materializer,
  produced: ReadonlyMap<string, string>,
): ProducedUpdate[] {
  return [
    ...materializer
      .reconcile()
      .map((update) => ({ update, provenance: reconcileProvenance(config, materializer, update) })),
    ...removedFormTombstones(config, produced),
  ];
}

/** A reconciled node was caused by no single change: it names its hub row, without a position. */
function reconcileProvenance(
  config: RowkubeConfig,
  materializer: Materializer,
  update: NodeUpdate,
): Provenance {
  const slash = update.id.indexOf('/');
  const form = config.forms.find((f) => f.name === update.id.slice(0, slash));
  const hub = config.hubs.find((h) => h.name === form?.hub);
  if (hub === undefined) throw new Error(`reconcileProvenance: node ${update.id} has no configured hub`);
  const [key] = materializer.state.hubKeys(hub.name, update.id.slice(slash + 1));
  return { source: hub.source, table: hub.table, position: null, commitTsMs: null, primaryKey: key ?? '' };
}

/**
 * Nodes of a form no longer in the configuration: their records would keep
 * their objects in the cluster for good, so they get tombstones. Every
 * instance finds them; a second tombstone is harmless.
 */
function removedFormTombstones(
  config: RowkubeConfig,
  produced: ReadonlyMap<string, string>,
): ProducedUpdate[] {
  const forms = new Set(config.forms.map((form) => form.name));
  const result: ProducedUpdate[] = [];
  for (const [id, hash] of produced) {
    if (forms.has(id.slice(0, id.indexOf('/'))) || hash === absentHash(id)) continue;
    result.push({
      update: { id, result: { kind: 'absent', id, reason: 'deleted' }, hash: absentHash(id) },
      provenance: { source: '', table: '', position: null, commitTsMs: null, primaryKey: '' },
    });
  }
  return result;
}
