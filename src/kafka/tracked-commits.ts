import type { Assignment } from './group-consumer.js';
import type { OffsetTracker } from './offset-tracker.js';

// The commits of a stage whose records finish out of order (the sink): every
// so often, each partition's offset moves up to its first record not handled
// yet, never past it. A partition handed to another member after a rebalance
// is forgotten: its records are the other member's to commit now.

export class TrackedCommits {
  constructor(
    private readonly topic: string,
    private readonly tracker: OffsetTracker,
    /** Commits partition → next offset for the topic (the group consumer's commitOffsets). */
    private readonly send: (offsets: ReadonlyMap<number, bigint>) => Promise<void>,
  ) {}

  /** Commits where an offset moved since the last commit; nothing when none did. */
  async commit(): Promise<void> {
    const offsets = this.tracker.committable();
    if (offsets.size === 0) return;
    await this.send(offsets);
    this.tracker.markCommitted(offsets);
  }

  /** The group assigned partitions anew: forget the tracked ones that are no longer this member's. */
  assigned(assignment: Assignment): void {
    const mine = new Set(assignment.get(this.topic) ?? []);
    for (const partition of this.tracker.partitions())
      if (!mine.has(partition)) this.tracker.forget(partition);
  }
}
