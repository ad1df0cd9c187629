// Which offsets of a topic a consumer with tracked commits (the sink) may
// commit. A record is done when its handler says so (the sink: its node was
// fully handled — applied, pruned, or superseded by a newer record of the same
// node). Records finish out of order — a slow node does not hold up the others
// — so the committable offset of a partition is the first one not yet done: a
// crash re-reads from there and handles again, idempotently, whatever finished
// after it.

export class OffsetTracker {
  /** Partition → offsets read but not done, as a sorted-by-insertion set (offsets arrive in order). */
  private readonly pending = new Map<number, Set<bigint>>();
  /** Partition → the offset after the last one read. */
  private readonly readUpTo = new Map<number, bigint>();
  /** Partition → what was last handed out by committable(), to report only changes. */
  private readonly committed = new Map<number, bigint>();

  /** A record was read; offsets of one partition arrive in increasing order. */
  started(partition: number, offset: bigint): void {
    const set = this.pending.get(partition) ?? new Set<bigint>();
    set.add(offset);
    this.pending.set(partition, set);
    this.readUpTo.set(partition, offset + 1n);
  }

  done(partition: number, offset: bigint): void {
    this.pending.get(partition)?.delete(offset);
  }

  /** Records read but not done, over all partitions. */
  get inFlight(): number {
    let count = 0;
    for (const set of this.pending.values()) count += set.size;
    return count;
  }

  /** Per partition, the offset to commit (the next record to read after a restart), where it moved. */
  committable(): Map<number, bigint> {
    const result = new Map<number, bigint>();
    for (const [partition, upTo] of this.readUpTo) {
      let next = upTo;
      // Sets iterate in insertion order, which is offset order here.
      for (const offset of this.pending.get(partition) ?? []) {
        next = offset;
        break;
      }
      if (this.committed.get(partition) === next) continue;
      result.set(partition, next);
    }
    return result;
  }

  /** Records that committable()'s offsets were committed. */
  markCommitted(offsets: ReadonlyMap<number, bigint>): void {
    for (const [partition, offset] of offsets) this.committed.set(partition, offset);
  }

  /** Partitions with records read. */
  partitions(): number[] {
    return [...this.readUpTo.keys()];
  }

  /** Forgets a partition (revoked in a rebalance): its records are another instance's now. */
  forget(partition: number): void {
    this.pending.delete(partition);
    this.readUpTo.delete(partition);
    this.committed.delete(partition);
  }
}
