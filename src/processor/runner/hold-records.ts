import {
  type AuditAction,
  type AuditEvent,
  commitLatencyMs,
  encodeControl,
  type HeldRecord,
  heldKey,
  type Provenance,
} from '../../contracts/index.js';
import {
  type EncodedAudit,
  encodeAudit,
  type RegisteredSchema,
  type TopicOutgoingRecord,
} from '../../kafka/index.js';
import { describeGroup, type RemovalGroup } from '../deletion-guard.js';
import type { ProducedUpdate } from './desired-output.js';

// The records the mass-deletion guard commits (deletion-hold.ts decides
// when): the held node as `<prefix>._control` keeps it, and its node-level
// audit events.

/** A held removal, as the processor keeps it in memory. */
export interface HeldNode {
  id: string;
  hub: string;
  form: string;
  tx: string;
  /** The hash of the live record the desired topic keeps for it. */
  hash: string;
  topic: string;
  /** -1: held by a take-over's reconcile, which every instance may act on. */
  partition: number;
  /** Offset of its held record in the control topic, once read back: a release covers lower offsets only. */
  offset?: bigint;
  provenance: Provenance;
}

/** What a step of the guard asks to commit. */
export interface HoldOutput {
  /** Desired updates to produce (what passed, tombstones of released nodes). */
  produced: ProducedUpdate[];
  /** Control-topic and audit records, committed in the same transaction. */
  records: TopicOutgoingRecord[];
  /** Schemas the audit records name. */
  schemas: RegisteredSchema[];
}

export function emptyOutput(): HoldOutput {
  return { produced: [], records: [], schemas: [] };
}

export function merge(into: HoldOutput, from: HoldOutput | undefined): HoldOutput {
  if (from === undefined) return into;
  into.produced.push(...from.produced);
  into.records.push(...from.records);
  into.schemas.push(...from.schemas);
  return into;
}

/** The control record of a held node: `held/<node id>`. */
export function heldControlRecord(
  topic: string,
  node: HeldNode,
  group: RemovalGroup,
  nowMs: number,
): TopicOutgoingRecord {
  const record: HeldRecord = {
    kind: 'held',
    hub: node.hub,
    node: node.id,
    tx: node.tx,
    topic: node.topic,
    partition: node.partition,
    removed: group.ids.length,
    live: group.live,
    heldAtMs: nowMs,
    // Kept so that a release after a restart names the change that removed the node.
    // Named field by field: the stage times (bigint) are the change's way to the sink, not the hold's.
    provenance: {
      source: node.provenance.source,
      table: node.provenance.table,
      position: node.provenance.position,
      commitTsMs: node.provenance.commitTsMs?.toString() ?? null,
      primaryKey: node.provenance.primaryKey,
    },
  };
  return { topic, key: heldKey(node.id), value: encodeControl(record) };
}

/** A node-level audit event of the guard (held, released, cancelled), encoded. */
export function holdAudit(
  topic: string,
  node: HeldNode,
  action: AuditAction,
  reason: string,
  context: { nowMs: number; fieldManager: string },
): EncodedAudit {
  const appliedAtMs = BigInt(context.nowMs);
  const provenance = {
    source: node.provenance.source,
    table: node.provenance.table,
    position: node.provenance.position,
    commitTsMs: node.provenance.commitTsMs,
  };
  const event: AuditEvent = {
    nodeId: node.id,
    hub: node.hub,
    form: node.form,
    resourceId: null,
    object: null,
    action,
    reason,
    errorCode: null,
    provenance,
    appliedAtMs,
    latencyMs: commitLatencyMs(provenance, appliedAtMs),
    fieldManager: context.fieldManager,
  };
  return encodeAudit(topic, event);
}

export function holdReason(group: RemovalGroup): string {
  return (
    `mass-deletion guard: source transaction ${group.tx} removes ${describeGroup(group)} of hub ${group.hub}; ` +
    `held until 'rowkube release ${group.hub}' or until the rows come back`
  );
}

/** The provenance a held record kept (commit time as text), as the desired records carry it. */
export function provenanceOf(record: HeldRecord): Partial<Provenance> {
  const saved = record.provenance;
  if (saved === undefined) return {};
  const commit = saved.commitTsMs;
  return {
    source: String(saved.source ?? ''),
    table: String(saved.table ?? ''),
    position: typeof saved.position === 'string' ? saved.position : null,
    commitTsMs: typeof commit === 'string' && /^\d+$/.test(commit) ? BigInt(commit) : null,
    primaryKey: String(saved.primaryKey ?? ''),
  };
}
