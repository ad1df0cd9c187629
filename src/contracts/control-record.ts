// The records of `<prefix>._control` (compacted, one partition, JSON text):
// what the processor holds back and what `rowkube release` asks of it.
//
//   key `held/<node id>`  the processor held this node's removal (mass-deletion
//                         guard); written in the transaction of the batch that
//                         removed it, tombstoned in the transaction that
//                         releases it or finds the row restored (cancelled).
//   key `release/<hub>`   `rowkube release HUB`: every held record of the hub
//                         at a lower offset is to be carried out.
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

export type ControlRecord = HeldRecord | ReleaseRecord;

export function heldKey(node: string): string {
  return `held/${node}`;
}

export function releaseKey(hub: string): string {
  return `release/${hub}`;
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
  throw new Error(`control record '${key}': unknown record ${value.slice(0, 200)}`);
}
