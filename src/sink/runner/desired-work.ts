import type { DesiredValue } from '../../contracts/index.js';
import type { RowkubeConfig } from '../../core/config/config-schema.js';
import { NodeAudit } from '../apply/sink-context.js';

// What the sink schedules for a node: its desired state (null: the node is
// gone), and the desired-topic record it came from, if any — drift checks and
// the start-up clean-up have none, so they never hold back a committed offset.

export interface DesiredWork {
  value: DesiredValue | null;
  record?: { partition: number; offset: bigint };
  /** Re-apply even what looks unchanged: someone may have changed the object. */
  verify: boolean;
}

/** hub and form of a node, also for a tombstone, which says nothing else: the form is the id's first part. */
export function nodeParts(
  nodeId: string,
  value: DesiredValue | null,
  forms: readonly { name: string; hub: string }[],
): { hub: string; form: string } {
  if (value !== null) return { hub: value.hub, form: value.form };
  const form = nodeId.slice(0, Math.max(0, nodeId.indexOf('/')));
  return { hub: forms.find((candidate) => candidate.name === form)?.hub ?? '', form };
}

/** A NodeAudit for a node's desired state: its hub, form and the provenance its events carry. */
export function nodeAuditFor(
  nodeId: string,
  value: DesiredValue | null,
  config: Pick<RowkubeConfig, 'forms'> & { kubernetes: Pick<RowkubeConfig['kubernetes'], 'fieldManager'> },
): NodeAudit {
  const provenance = value?.provenance;
  return new NodeAudit(
    { nodeId, ...nodeParts(nodeId, value, config.forms), fieldManager: config.kubernetes.fieldManager },
    {
      source: provenance?.source ?? '',
      table: provenance?.table ?? '',
      position: provenance?.position ?? null,
      commitTsMs: provenance?.commitTsMs ?? null,
    },
  );
}
