import { decodeControl, type FormRecord, formKey, type NodeStatus } from '../../contracts/index.js';
import {
  countPhases,
  type PhaseCounts,
  type RolloutNode,
} from '../../processor/rollout/rollout-admission.js';
import type { ControlEntry } from '../../processor/runner/deletion-hold.js';

// A form's rollout as `rowkube rollout status` and `rowkube status` print it:
// the form record of `<prefix>._control` and the nodes counted by phase from
// what the sink reports on `<prefix>.status` (a node counts as pending until
// the sink reports a record of the new version).

/** The latest form record of each form in the control entries (read whole, offset order). */
export function formRecords(entries: readonly ControlEntry[]): Map<string, FormRecord> {
  const latest = new Map<string, ControlEntry>();
  for (const entry of entries) if (entry.key.startsWith('form/')) latest.set(entry.key, entry);
  const records = new Map<string, FormRecord>();
  for (const entry of latest.values()) {
    if (entry.value === null) continue;
    const record = decodeControl(entry.key, entry.value);
    if (record.kind === 'form' && formKey(record.form) === entry.key) records.set(record.form, record);
  }
  return records;
}

/** The form's live nodes by phase, as the sink reports them. */
export function reportedPhases(statuses: readonly NodeStatus[], record: FormRecord): PhaseCounts {
  const nodes: RolloutNode[] = [];
  for (const status of statuses) {
    if (!status.nodeId.startsWith(`${record.form}/`) || status.state === 'Deleted') continue;
    nodes.push({
      id: status.nodeId,
      version: status.formVersion ?? null,
      hash: status.contentHash,
      status: { contentHash: status.contentHash, state: status.state },
    });
  }
  return countPhases(nodes, record.current.version);
}

export function rolloutLine(record: FormRecord, counts: PhaseCounts, nowMs: number): string {
  const from = record.previous?.version ?? '(none)';
  const since = Math.max(0, Math.round((nowMs - record.sinceMs) / 1_000));
  return (
    `form ${record.form}: ${record.state} ${from} → ${record.current.version} for ${since}s; ` +
    `pending ${counts.pending}, in progress ${counts.inProgress}, ready ${counts.ready}, failed ${counts.failed}` +
    ` (failures counted ${record.failures})`
  );
}

/** Lines for `rowkube status`: every form whose rollout is not complete. */
export function rolloutLines(
  records: ReadonlyMap<string, FormRecord>,
  statuses: readonly NodeStatus[],
  nowMs: number,
): string[] {
  const lines: string[] = [];
  for (const record of records.values()) {
    if (record.state === 'complete') continue;
    lines.push(rolloutLine(record, reportedPhases(statuses, record), nowMs));
    if (record.reason !== '') lines.push(`  ${record.reason}`);
  }
  return lines;
}
