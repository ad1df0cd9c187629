import type { DesiredValue } from '../contracts/index.js';

// Which desired state a replay rebuilds, from the records of `<prefix>.desired`
// read in offset order. Without a point in time: each node's last record.
// With one: each node's last record that had happened by then — by its
// change's commit time (database clock), or, for a tombstone, which carries no
// provenance, by the Kafka record timestamp (when the processor wrote it).
// Plain data in, plain data out: no Kafka and no cluster here.

export interface DesiredRecord {
  nodeId: string;
  /** null: a tombstone, the node was deleted or deactivated. */
  value: DesiredValue | null;
  /** The Kafka record timestamp, ms since the epoch. */
  timestampMs: number;
}

/** The state to rebuild, node by node. */
export interface ReplaySelection {
  /** Nodes to apply: their last record (as of the time) has resources and no rendering error. */
  live: DesiredValue[];
  /**
   * Nodes whose last record is a rendering error: left out (nothing to
   * apply), and their objects in the target cluster are left as they are, as
   * the sink does.
   */
  unrendered: DesiredValue[];
  /** Nodes whose last record (as of the time) is a tombstone. */
  deleted: string[];
  /** With a time: nodes all of whose records are later (created after it). */
  later: string[];
  /** Records read, and of those how many were later than the time. */
  records: number;
  laterRecords: number;
}

/** When a record happened: its change's commit time, else the Kafka timestamp. */
export function recordTimeMs(record: DesiredRecord): number {
  const commit = record.value?.provenance.commitTsMs ?? null;
  return commit === null ? record.timestampMs : Number(commit);
}

/** Accumulates records one at a time, so a long topic is never held whole. */
export class ReplayState {
  private readonly latest = new Map<string, DesiredValue | null>();
  /** Nodes seen only in records after the time. */
  private readonly onlyLater = new Set<string>();
  private records = 0;
  private laterRecords = 0;

  /** atMs: the point in time; undefined rebuilds the current state. */
  constructor(readonly atMs?: number) {}

  offer(record: DesiredRecord): void {
    this.records += 1;
    if (this.atMs !== undefined && recordTimeMs(record) > this.atMs) {
      this.laterRecords += 1;
      if (!this.latest.has(record.nodeId)) this.onlyLater.add(record.nodeId);
      return;
    }
    this.onlyLater.delete(record.nodeId);
    this.latest.set(record.nodeId, record.value);
  }

  selection(): ReplaySelection {
    const live: DesiredValue[] = [];
    const unrendered: DesiredValue[] = [];
    const deleted: string[] = [];
    for (const [nodeId, value] of this.latest) {
      if (value === null) deleted.push(nodeId);
      else if (value.error !== null) unrendered.push(value);
      else live.push(value);
    }
    return {
      live,
      unrendered,
      deleted,
      later: [...this.onlyLater],
      records: this.records,
      laterRecords: this.laterRecords,
    };
  }
}
