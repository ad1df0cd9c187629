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
// - a value read at start, for a partition of its first assignment (what the
//   sink has always done: the gap between that read and the committed offset
//   is records the replica then consumes itself);
// - a value of a record it consumed while the partition has been assigned.
// A partition assigned later (a take-over) was consumed by another replica up
// to its committed offset: what this replica read at start or before losing
// the partition may be older than what the other one applied. Its nodes are
// left alone until a record of theirs arrives here (or the sink restarts and
// reads the topic again): missing a correction is safe, reverting a newer
// value is not. And an assignment counts only while the membership is alive:
// a replica frozen longer than the session timeout has lost its partitions
// without knowing it yet, and on waking its watch delivers the other
// replica's writes before kafkajs finds out and joins again. Forgetting the fingerprints of rowkube's writes at a
// revocation is not needed: drift of a node that is not ours is ignored here.
// Plain data: no Kafka, no Kubernetes.

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

  /** Nodes known, deleted ones (a tombstone) included. */
  get size(): number {
    return this.nodes.size;
  }

  /** Whether the node has a value (is not unknown or deleted), whatever the assignment. */
  holds(nodeId: string): boolean {
    const value = this.nodes.get(nodeId)?.value;
    return value !== undefined && value !== null;
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
   * The group assigned these partitions (after each join). Partitions of the
   * first assignment count as held since the read at start.
   */
  assigned(partitions: readonly number[], atMs = Date.now()): void {
    this.aliveAtMs = atMs;
    this.generation += 1;
    const since = this.generation === 1 ? 0 : this.generation;
    const kept = new Map<number, number>();
    for (const partition of partitions) kept.set(partition, this.assignedSince.get(partition) ?? since);
    this.assignedSince.clear();
    for (const [partition, generation] of kept) this.assignedSince.set(partition, generation);
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

  /** Every node with a value this replica may set back now (the timed drift pass). */
  *correctable(nowMs = Date.now()): IterableIterator<[string, V]> {
    for (const nodeId of this.nodes.keys()) {
      const value = this.correction(nodeId, nowMs);
      if (value !== null) yield [nodeId, value];
    }
  }
}
