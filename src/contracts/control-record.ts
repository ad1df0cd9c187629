// The records of `<prefix>._control` (compacted, one partition, JSON text):
// what the processor holds back and what `rowkube release` asks of it.
//
//   key `held/<node id>`  the processor held this node's removal (mass-deletion
//                         guard); written in the transaction of the batch that
//                         removed it, tombstoned in the transaction that
//                         releases it or finds the row restored (cancelled).
//   key `release/<hub>`   `rowkube release HUB`: every held record of the hub
//                         at a lower offset is to be carried out.
//   key `form/<form>`     the form's versions (current and previous, with their
//                         definitions) and its rollout's state; written by the
//                         processor when the configured version differs from the
//                         recorded one, and at each rollout transition.
//   key `rollout/<form>`  `rowkube rollout resume|abort FORM`: a request the
//                         processor carries out once (the form record names the
//                         offset of the last request it handled).
//
// Kafka offsets of the one partition order holds and releases without clocks:
// a release covers exactly the holds that were in the log before it, whether
// the processor meets it live or after a restart, and a held record that a
// release already carried out is tombstoned, so it is never carried out twice.

export interface HeldRecord {
  kind: 'held';
  hub: string;
  /** Node id `<form>/<uid>`. */
  node: string;
  /** The source transaction (its position as JSON text, or "reconcile"). */
  tx: string;
  /** The change-topic partition of the change that removed it: the processor instance owning it acts on it. */
  topic: string;
  partition: number;
  /** How many of the hub's nodes the transaction removed, and how many it had. */
  removed: number;
  live: number;
  heldAtMs: number;
  /** The change that removed it, as the desired records' provenance (commit time as decimal text). */
  provenance?: {
    source: string;
    table: string;
    position: string | null;
    commitTsMs: string | null;
    primaryKey: string;
  };
}

export interface ReleaseRecord {
  kind: 'release';
  hub: string;
  requestedAtMs: number;
}

/** A form version as recorded: its hash (form-version.ts) and the definition it hashes (a FormConfig). */
export interface RecordedFormVersion {
  version: string;
  definition: unknown;
}

export const ROLLOUT_STATES = ['rolling', 'paused', 'aborted', 'complete'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export interface FormRecord {
  kind: 'form';
  form: string;
  current: RecordedFormVersion;
  /** The version nodes are on until admitted (or go back to on abort); null when none was recorded. */
  previous: RecordedFormVersion | null;
  state: RolloutState;
  /** Nodes that failed on the current version since the rollout started or was resumed. */
  failures: number;
  sinceMs: number;
  /** Why the state is what it is, for people (the failures that paused it, who aborted it). */
  reason: string;
  /** Requests (`rollout/<form>`) at or below this offset of the control topic are handled or stale; decimal text. */
  handledRequest: string;
}

export interface RolloutRequestRecord {
  kind: 'rollout-request';
  form: string;
  action: 'resume' | 'abort';
  requestedAtMs: number;
}

export type ControlRecord = HeldRecord | ReleaseRecord | FormRecord | RolloutRequestRecord;

export function heldKey(node: string): string {
  return `held/${node}`;
}

export function releaseKey(hub: string): string {
  return `release/${hub}`;
}

export function formKey(form: string): string {
  return `form/${form}`;
}

export function rolloutKey(form: string): string {
  return `rollout/${form}`;
}

export function encodeControl(record: ControlRecord): string {
  return JSON.stringify(record);
}

/** The record of a control-topic value; throws naming the key when it is not one this build knows. */
export function decodeControl(key: string, value: string): ControlRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new Error(`control record '${key}': not JSON (${(error as Error).message})`);
  }
  const record = parsed as Partial<ControlRecord> | null;
  if (record?.kind === 'held' && typeof record.node === 'string' && typeof record.hub === 'string')
    return record as HeldRecord;
  if (record?.kind === 'release' && typeof record.hub === 'string') return record as ReleaseRecord;
  if (record?.kind === 'form' && typeof record.form === 'string' && typeof record.current === 'object')
    return record as FormRecord;
  if (
    record?.kind === 'rollout-request' &&
    typeof record.form === 'string' &&
    (record.action === 'resume' || record.action === 'abort')
  )
    return record as RolloutRequestRecord;
  throw new Error(`control record '${key}': unknown record ${value.slice(0, 200)}`);
}
