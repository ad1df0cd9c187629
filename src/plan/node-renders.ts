import { contentHash, type DesiredValue, formVersion, type Provenance } from '../contracts/index.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import type { LatestByKey } from '../kafka/index.js';
import { desiredValue } from '../processor/desired/index.js';
import type { Materializer, NodeRef } from '../processor/materializer/index.js';

// Every node the plan looks at, rendered with the new configuration: each
// uid of each form's hub, plus each node the desired topic holds that the new
// configuration no longer renders (its row gone, its form removed). Rendering
// is the processor's own (Materializer.current → renderNode), so a render
// error reads exactly as the processor would report it.

export type NodeRender =
  /** Rendered: the record the processor would write. */
  | { kind: 'node'; value: DesiredValue }
  /** Not a node with the new configuration. */
  | { kind: 'absent'; reason: string }
  /** The processor's error for it. */
  | { kind: 'error'; message: string };

export interface NodeTarget {
  id: string;
  form: string;
  /** What `<prefix>.desired` holds for it now; undefined when nothing (or a tombstone). */
  current: DesiredValue | undefined;
  next: NodeRender;
}

export function nodeTargets(
  config: RowkubeConfig,
  materializer: Materializer,
  desired: LatestByKey<DesiredValue>,
): NodeTarget[] {
  const targets = new Map<string, NodeTarget>();
  const forms = new Map(config.forms.map((form) => [form.name, form]));
  const versions = new Map(config.forms.map((form) => [form.name, formVersion(form)]));
  const target = (ref: NodeRef): NodeTarget => {
    const current = desired.latest.get(ref.id);
    const result = materializer.current(ref);
    let next: NodeRender;
    if (result.kind === 'absent') next = { kind: 'absent', reason: result.reason };
    else if (result.kind === 'error') next = { kind: 'error', message: result.error.message };
    else {
      const version = versions.get(ref.form);
      const update = {
        id: ref.id,
        result,
        hash: contentHash(result),
        ...(version === undefined ? {} : { formVersion: version }),
      };
      const value = desiredValue(
        update,
        config.forms,
        current?.provenance ?? provenanceOf(config, materializer, ref),
      );
      if (value === null) throw new Error(`nodeTargets: ${ref.id} rendered no record`);
      next = { kind: 'node', value };
    }
    return { id: ref.id, form: ref.form, current, next };
  };

  for (const form of config.forms)
    for (const uid of materializer.state.hubUids(form.hub)) {
      const ref = { id: `${form.name}/${uid}`, form: form.name, hub: form.hub, uid };
      targets.set(ref.id, target(ref));
    }
  for (const [id, current] of desired.latest) {
    if (targets.has(id)) continue;
    const form = forms.get(current.form);
    targets.set(
      id,
      form === undefined
        ? { id, form: current.form, current, next: { kind: 'absent', reason: 'form removed' } }
        : target({ id, form: form.name, hub: form.hub, uid: current.uid }),
    );
  }
  return [...targets.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** A node the desired topic does not hold yet names its hub row, without a position (as a take-over's reconcile does). */
function provenanceOf(config: RowkubeConfig, materializer: Materializer, ref: NodeRef): Provenance {
  const hub = config.hubs.find((candidate) => candidate.name === ref.hub);
  const [key] = materializer.state.hubKeys(ref.hub, ref.uid);
  return {
    source: hub?.source ?? '',
    table: hub?.table ?? '',
    position: null,
    commitTsMs: null,
    primaryKey: key ?? '',
  };
}
