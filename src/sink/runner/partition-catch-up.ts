import type { Logger } from 'pino';
import { abortableSleep } from '../../core/abortable-sleep.js';
import { foldPackedTopic, type PackedValue, type ReadCompactedTopicOptions } from '../../kafka/index.js';
import type { DesiredShare, Takeover } from './desired-share.js';

// A sink replica that takes a partition of `<prefix>.desired` over from
// another replica does not know what that replica applied since this one read
// the topic at start (desired-share.ts). It reads the partition again, from
// its beginning to its end as of the take-over, and learns each node's last
// value from it. (At its first assignment, only what came after the read at
// start: usually nothing, and the reader then asks for the ends only.) In the background: the consumer goes on meanwhile, and the
// partition's nodes are simply not corrected until the read ends.
//
// Several rebalances in a row: a read answers the assignment it was started
// for. One whose partitions have all been lost since is stopped (the next
// assignment that brings a partition back starts a read of its own), and
// what a read brings for a partition lost meanwhile is dropped by the share.

/** Per partition read: each node's last value (null: a tombstone). */
export type PartitionValues<V> = Map<number, Map<string, V | null>>;

export interface PartitionCatchUpOptions<V> {
  share: DesiredShare<V>;
  /**
   * Reads these partitions from their beginning (or the offset in `from`) to
   * their end as of now. Resolves early (with part of it) when the signal
   * aborts; rejects when reading failed.
   */
  read: (
    partitions: readonly number[],
    from: ReadonlyMap<number, bigint>,
    signal: AbortSignal,
  ) => Promise<PartitionValues<V>>;
  /**
   * Nodes of a partition taken over that became correctable with a learned
   * value: drift that happened during the read is only seen now.
   */
  onLearned: (nodeIds: string[]) => void;
  logger: Logger;
  /** Stops every read. */
  signal: AbortSignal;
  /** Pause before a failed read is tried again (default 1,000 ms). */
  retryMs?: number;
}

interface Read {
  takeovers: readonly Takeover[];
  controller: AbortController;
}

export class PartitionCatchUp<V> {
  private readonly reads = new Set<Read>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: PartitionCatchUpOptions<V>) {}

  /** After each assignment, with the partitions it took over (DesiredShare.assigned). */
  assigned(takeovers: readonly Takeover[]): void {
    const { share } = this.options;
    for (const read of this.reads)
      if (!read.takeovers.some((takeover) => share.current(takeover))) {
        read.controller.abort();
        this.reads.delete(read);
      }
    if (takeovers.length === 0) return;
    const running = this.run(takeovers).finally(() => this.running.delete(running));
    this.running.add(running);
  }

  /** Resolves once no read is in progress (every read stops with the signal). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private async run(takeovers: readonly Takeover[]): Promise<void> {
    const { share, logger } = this.options;
    const controller = new AbortController();
    const signal = AbortSignal.any([this.options.signal, controller.signal]);
    const read: Read = { takeovers, controller };
    this.reads.add(read);
    try {
      while (!signal.aborted) {
        const pending = takeovers.filter((takeover) => share.current(takeover));
        const partitions = pending.map((takeover) => takeover.partition);
        if (pending.length === 0) return;
        const startedAt = Date.now();
        try {
          const from = new Map<number, bigint>();
          for (const { partition, from: offset } of pending)
            if (offset !== undefined) from.set(partition, offset);
          const values = await this.options.read(partitions, from, signal);
          // An aborted read ended early: part of a partition is not its state.
          if (signal.aborted) return;
          // At the first assignment the records read are mostly ones the consumer
          // delivers itself right after (a lone replica starting): no check of their objects.
          const checked: string[] = [];
          for (const takeover of pending) {
            const learned = share.learned(takeover, values.get(takeover.partition) ?? new Map());
            if (takeover.since > 0) checked.push(...learned);
          }
          if (pending.some((takeover) => takeover.since > 0))
            logger.info(
              { partitions, nodes: checked.length, ms: Date.now() - startedAt },
              'partitions taken over read: their nodes are corrected on drift with current values',
            );
          if (checked.length > 0) this.options.onLearned(checked);
          return;
        } catch (error) {
          const retryInMs = this.options.retryMs ?? 1_000;
          logger.warn(
            { err: error, partitions, retryInMs },
            'reading partitions taken over failed; their nodes are not corrected on drift until it succeeds',
          );
          await abortableSleep(retryInMs, signal);
        }
      }
    } finally {
      this.reads.delete(read);
    }
  }
}

/** Reads partitions of a compacted topic (the desired topic) into each node's last value, per partition. */
export async function readPartitionValues(
  options: ReadCompactedTopicOptions & { partitions: readonly number[] },
): Promise<PartitionValues<PackedValue>> {
  const values: PartitionValues<PackedValue> = new Map();
  for (const partition of options.partitions) values.set(partition, new Map());
  await foldPackedTopic(options, (entry) => {
    if (entry.partition !== undefined) values.get(entry.partition)?.set(entry.key, entry.value);
  });
  return values;
}
