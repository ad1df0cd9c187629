import type { HubAssignment, RebuiltLimits } from './hub-rebuild.js';

// The share of the hubs an instance's state is for: the partitions the group
// assigned at the last take-over, and per partition the first offset the
// rebuilt state does not hold. A batch fetched before a take-over may belong
// to a partition no longer owned, or repeat records the rebuild already read.

export class HubShare {
  private owned: HubAssignment = new Map();
  private limits: RebuiltLimits = new Map();

  /** The state was rebuilt for this assignment, up to these offsets. */
  reset(assignment: HubAssignment, limits: RebuiltLimits): void {
    this.owned = assignment;
    this.limits = limits;
  }

  owns(topic: string, partition: number): boolean {
    return (this.owned.get(topic) ?? []).includes(partition);
  }

  /** The first offset of the partition that is not part of the state yet. */
  upTo(topic: string, partition: number): bigint {
    return this.limits.get(topic)?.get(partition) ?? 0n;
  }

  /** Records before `next` were committed into the state. */
  advance(topic: string, partition: number, next: bigint): void {
    this.limits.get(topic)?.set(partition, next);
  }
}
