import type { InputTopic } from '../../contracts/index.js';
import { type Kafka, readTopic, type SchemaResolver } from '../../kafka/index.js';
import { decodeChange } from '../desired/change-input.js';
import type { Materializer } from '../materializer/index.js';

// A processor instance holds the hub rows of the partitions the consumer
// group assigned to it. On every assignment it reads them again from the
// compacted change topics, up to the group's committed offsets and without
// producing: what those records caused is already in the desired topic,
// committed in the same transactions as the offsets. The records after the
// committed offsets are the consumer's to process.

/** Topic → the partitions this instance owns. */
export type HubAssignment = ReadonlyMap<string, readonly number[]>;

/** Topic → partition → the first offset the consumer processes (what the rebuild stopped before). */
export type RebuiltLimits = Map<string, Map<number, bigint>>;

/** Applies the owned partitions' records before the committed offsets to the hub tables; returns how many. */
export async function rebuildHubRows(options: {
  kafka: Kafka;
  inputs: readonly InputTopic[];
  assignment: HubAssignment;
  limits: RebuiltLimits;
  resolver: SchemaResolver;
  materializer: Materializer;
  signal: AbortSignal;
}): Promise<number> {
  const { kafka, inputs, assignment, limits, resolver, materializer, signal } = options;
  let count = 0;
  for (const input of inputs) {
    const owned = new Set(assignment.get(input.topic) ?? []);
    const limit = limits.get(input.topic);
    const anythingToRead = [...owned].some((partition) => (limit?.get(partition) ?? 0n) > 0n);
    if (!anythingToRead) continue;
    await readTopic({
      kafka,
      topic: input.topic,
      fromBeginning: true,
      follow: false,
      signal,
      onRecord: async (record) => {
        if (!owned.has(record.partition)) return;
        if (BigInt(record.offset) >= (limit?.get(record.partition) ?? 0n)) return;
        const { change } = await decodeChange(input, record, resolver);
        // Rows only: the take-over's reconcile renders every node once, after the last row.
        materializer.restoreHubRow(change);
        count += 1;
      },
    });
  }
  return count;
}
