// Which nodes this sink replica may set back when their objects drift, and to
// what. Replicas share the desired topic's partitions through the consumer
// group, but each reads the whole topic at start and each remembers what IT
// last wrote to an object. When a partition moves to another replica (a
// frozen or killed replica, a rebalance) and that replica applies a newer
// value, this replica's watch sees the object change away from its own last
// write: were it to "correct" that with its own value, which nobody updates
// any more, the replicas would fight and the cluster would never settle. So a
// replica corrects only nodes of partitions assigned to it now, and only with
// a value it can trust to be current:
// - a value read at start, for a partition of its first assignment; the gap
//   between that read and the committed offset is records the replica then
//   consumes itself, unless another replica consumed past the read's end
//   before this one joined: so the partition is read on from that end too;
// - a value of a record it consumed while the partition has been assigned;
// - a value its own read of a partition it took over found (below).
// A partition assigned later (a take-over) was consumed by another replica up
// to its committed offset: what this replica read at start or before losing
// the partition may be older than what the other one applied. So assigned()
// names it for a read of its own (partition-catch-up.ts: the partition from
// its beginning to its end as of the take-over, in the background), and its
// nodes are left alone until that read is learned() or a record of theirs
// arrives here: missing a correction for a moment is safe, reverting a newer
// value is not. A record consumed during the take-over wins over the read:
// the consumer goes on from the committed offset, so it either is newer or
// will be followed by the newer records (the same gap as the read at start).
// A read for a partition lost (or lost and got back) before the read ended
// answers an assignment that no longer holds: it is dropped.
// And an assignment counts only while the membership is alive:
// a replica frozen longer than the session timeout has lost its partitions
// without knowing it yet, and on waking its watch delivers the other
// replica's writes before kafkajs finds out and joins again. Forgetting the fingerprints of rowkube's writes at a
// revocation is not needed: drift of a node that is not ours is ignored here.
// Plain data: no Kafka, no Kubernetes.

/** A partition taken over: the assignment a read of it answers, and where the read starts. */
export interface Takeover {
  partition: number;
  /** The generation since which the partition has been assigned (0: the first assignment, since the read at start). */
  since: number;
  /** The assignment that took it: records consumed during it or later win over the read. */
  generation: number;
  /** Where the read starts: the end of the read at start for the first assignment; undefined: the beginning. */
  from?: bigint;
}

interface NodeEntry<V> {
  partition: number;
  value: V | null;
  /** The assignment (generation) during which the value was received; 0: read at start. */
  generation: number;
}

export class DesiredShare<V> {
  /** When the membership was last known alive (a join, a heartbeat), ms since epoch. */
  private aliveAtMs = Number.NEGATIVE_INFINITY;

  /** `sessionTimeoutMs`: the group's; without a heartbeat for this long the partitions may be elsewhere. */
  constructor(private readonly sessionTimeoutMs: number) {}

  private readonly nodes = new Map<string, NodeEntry<V>>();
  /** Partition → the generation since which it has been assigned without a break. */
  private readonly assignedSince = new Map<number, number>();
  /** Assignments seen: 0 before the first. */
  private generation = 0;
  /** Partition → where the read at start ended. */
  private readonly seedEnds = new Map<number, bigint>();

  /**
   * Where the read at start ended, per partition: a partition of the first
   * assignment is read from there on (records another replica consumed
   * before this one joined).
   */
  seededTo(ends: ReadonlyMap<number, bigint>): void {
    for (const [partition, end] of ends) this.seedEnds.set(partition, end);
  }

  /** Nodes known, deleted ones (a tombstone) included. */
  get size(): number {
    return this.nodes.size;
  }

  /** Whether the node has a value (is not unknown or deleted), whatever the assignment. */
  holds(nodeId: string): boolean {
    const value = this.nodes.get(nodeId)?.value;
    return value !== undefined && value !== null;
  }

  /** A node's newest value known, whatever the assignment; null when unknown or deleted. */
  seeded(nodeId: string): V | null {
    return this.nodes.get(nodeId)?.value ?? null;
  }

  /** A node's newest value as read from the whole topic at start. */
  seed(nodeId: string, partition: number, value: V | null): void {
    this.nodes.set(nodeId, { partition, value, generation: 0 });
  }

  /** A record consumed in the group (from an assigned partition). */
  received(nodeId: string, partition: number, value: V | null): void {
    this.nodes.set(nodeId, { partition, value, generation: this.generation });
  }

  /**
   * The group assigned these partitions (after each join). Returns the
   * partitions taken over by this assignment: read each to learn its values.
   * Partitions of the first assignment count as held since the read at start
   * and are read only from where that read ended: another replica may have
   * consumed (and applied) records after it, before this one joined.
   */
  assigned(partitions: readonly number[], atMs = Date.now()): Takeover[] {
    this.aliveAtMs = atMs;
    this.generation += 1;
    const { generation } = this;
    const first = generation === 1;
    const since = first ? 0 : generation;
    const kept = new Map<number, number>();
    const takeovers: Takeover[] = [];
    for (const partition of partitions) {
      const held = this.assignedSince.get(partition);
      kept.set(partition, held ?? since);
      if (held !== undefined) continue;
      if (first) takeovers.push({ partition, since, generation, from: this.seedEnds.get(partition) ?? 0n });
      else takeovers.push({ partition, since, generation });
    }
    this.assignedSince.clear();
    for (const [partition, generation] of kept) this.assignedSince.set(partition, generation);
    return takeovers;
  }

  /** Whether the assignment a take-over read answers still holds (else the read is of no use). */
  current(takeover: Takeover): boolean {
    return this.assignedSince.get(takeover.partition) === takeover.since;
  }

  /**
   * A take-over's read ended: `values` is the last value (null: tombstone) of
   * every node in the partition as of the take-over. Its nodes become
   * correctable with those values, except nodes a record of which arrived
   * through the consumer since the take-over (that one is newer, or newer
   * ones follow it). Returns the nodes learned with a value; none when the
   * assignment no longer holds.
   */
  learned(takeover: Takeover, values: ReadonlyMap<string, V | null>): string[] {
    if (!this.current(takeover)) return [];
    const { partition, since } = takeover;
    const learned: string[] = [];
    for (const [nodeId, value] of values) {
      const entry = this.nodes.get(nodeId);
      if (entry !== undefined && entry.partition === partition && entry.generation >= takeover.generation)
        continue;
      this.nodes.set(nodeId, { partition, value, generation: since });
      if (value !== null) learned.push(nodeId);
    }
    return learned;
  }

  /** The coordinator accepted a heartbeat: the assignment still holds. */
  alive(atMs = Date.now()): void {
    this.aliveAtMs = atMs;
  }

  /** The value to set the node back to, or null: not ours now, not known to be current, or deleted. */
  correction(nodeId: string, nowMs = Date.now()): V | null {
    if (nowMs - this.aliveAtMs > this.sessionTimeoutMs) return null;
    const entry = this.nodes.get(nodeId);
    if (entry === undefined) return null;
    const since = this.assignedSince.get(entry.partition);
    if (since === undefined || entry.generation < since) return null;
    return entry.value;
  }

  /**
   * Whether the node is gone as far as this replica may say (the status
   * tombstone of a Deleted node): its last record is a tombstone in a
   * partition assigned here, or it is unknown (a tombstone compacted away
   * before the read at start).
   */
  gone(nodeId: string, nowMs = Date.now()): boolean {
    const entry = this.nodes.get(nodeId);
    if (entry === undefined) return true;
    if (entry.value !== null) return false;
    if (nowMs - this.aliveAtMs > this.sessionTimeoutMs) return false;
    const since = this.assignedSince.get(entry.partition);
    return since !== undefined && entry.generation >= since;
  }

  /** Every node with a value this replica may set back now (the timed drift pass). */
  *correctable(nowMs = Date.now()): IterableIterator<[string, V]> {
    for (const nodeId of this.nodes.keys()) {
      const value = this.correction(nodeId, nowMs);
      if (value !== null) yield [nodeId, value];
    }
  }
}
