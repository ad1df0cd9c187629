import { desiredTopic, processorGroupId, sinkGroupId } from '../contracts/index.js';
import type { SourcePosition } from '../core/change-event.js';
import { SNAPSHOT_FIELD, SNAPSHOT_REQUESTED_FIELD } from '../core/snapshot-progress.js';
import { positionReaches, type WantedPosition } from '../core/wanted-position.js';
import { type Kafka, type KafkaAdmin, readLastPosition, readTopic } from '../kafka/index.js';

// Has the pipeline handled every change of a source up to a position? Asked
// when a node's own status is behind the position an application waits for:
// the application's position may lie past its own transaction (PostgreSQL's
// pg_current_wal_lsn(), a binlog position read after COMMIT), or its
// transaction did not change the node at all. Then the node's status is the
// answer only once nothing before the position can still change it.
//
// The answer comes from what the stages already store in Kafka, so it costs
// the pipeline nothing per row, adds no record to any topic, and holds across
// restarts. Three steps, each started only after the one before held:
//
//   1. capture: the source's position stored in `<prefix>._offsets` is at or
//      past P. Capture stores it in the Kafka transaction of the changes
//      before it, so every change up to P is now in the change topic, at
//      offsets below the topic's last stable offset E1 read *after* this step.
//   2. processor: its consumer group has handled every record of the hub's
//      change topic below E1. The processor commits its group offsets in the
//      transaction of the desired records they produced (exactly once), so
//      every desired record those changes lead to is now in `<prefix>.desired`,
//      below its last stable offset E2 read after this step.
//   3. sink: its consumer group has handled every desired record below E2.
//      The sink commits an offset only once the records before it are fully
//      handled and their status acknowledged, so the status topic now holds
//      the node's state for every change up to P.
//
// "Handled every record below E" is not "committed offset ≥ E": on a
// transactional topic each commit marker takes an offset, and a consumer
// commits the offset after the last record it handled, so a caught-up group
// stays one marker short of E. And with several processor instances writing
// one desired partition, records of transactions interleave, so "one short" is
// no proof either. The check reads, read_committed, what lies between the
// committed offset and E: no record there means nothing is left to handle.
// Usually the range is empty or holds only markers, and reading it is a
// single fetch.

export interface BarrierOptions {
  kafka: Kafka;
  admin: KafkaAdmin;
  prefix: string;
  /** The node's source: its key in `<prefix>._offsets`. */
  source: string;
  /** The hub table's change topic. */
  hubTopic: string;
  wanted: WantedPosition;
  signal?: AbortSignal;
}

/** Where a barrier check stands; the steps passed are kept, so the next check resumes after them. */
export interface BarrierProgress {
  captured: boolean;
  processed: boolean;
  applied: boolean;
  /** Ends read after the step before passed; undefined until then. */
  hubEnds?: Map<number, bigint>;
  desiredEnds?: Map<number, bigint>;
}

export function newBarrier(): BarrierProgress {
  return { captured: false, processed: false, applied: false };
}

/**
 * Runs the steps still open, each once; true once all three held. A false
 * answer is asked again later (the caller polls). Errors (a topic missing, the
 * broker away) are the caller's to retry.
 */
export async function checkBarrier(options: BarrierOptions, progress: BarrierProgress): Promise<boolean> {
  const { kafka, admin, prefix } = options;
  if (!progress.captured) {
    const stored = await readLastPosition({ kafka, prefix, name: options.source });
    if (!capturedPast(stored, options.wanted)) return false;
    progress.captured = true;
    progress.hubEnds = await stableEnds(admin, options.hubTopic);
  }
  if (!progress.processed) {
    const ends = progress.hubEnds ?? new Map();
    if (!(await handledBelow(options, options.hubTopic, processorGroupId(prefix), ends))) return false;
    progress.processed = true;
    progress.desiredEnds = await stableEnds(admin, desiredTopic(prefix));
  }
  if (!progress.applied) {
    const ends = progress.desiredEnds ?? new Map();
    if (!(await handledBelow(options, desiredTopic(prefix), sinkGroupId(prefix), ends))) return false;
    progress.applied = true;
  }
  return true;
}

/** The stored capture position is a stream position at or past `wanted` (a snapshot in progress is not). */
export function capturedPast(stored: SourcePosition | undefined, wanted: WantedPosition): boolean {
  if (stored === undefined) return false;
  if (SNAPSHOT_FIELD in stored || SNAPSHOT_REQUESTED_FIELD in stored) return false;
  return positionReaches(stored, wanted);
}

/** Each partition's last stable offset (the admin client lists offsets read_committed). */
async function stableEnds(admin: KafkaAdmin, topic: string): Promise<Map<number, bigint>> {
  const ends = await admin.topicEnds(topic);
  return new Map(ends.map(({ partition, high }) => [partition, BigInt(high)]));
}

/** No record below `ends` that the group has not handled: nothing visible between its committed offset and the end. */
async function handledBelow(
  options: BarrierOptions,
  topic: string,
  groupId: string,
  ends: ReadonlyMap<number, bigint>,
): Promise<boolean> {
  const committed = (await options.admin.committedOffsets(groupId, [topic])).get(topic) ?? new Map();
  const open = [...ends].filter(([partition, end]) => (committed.get(partition) ?? 0n) < end);
  if (open.length === 0) return true;
  let pending = false;
  await readTopic({
    kafka: options.kafka,
    topic,
    fromBeginning: true,
    follow: false,
    partitions: open.map(([partition]) => partition),
    from: committed,
    timeoutMs: 10_000,
    ...(options.signal ? { signal: options.signal } : {}),
    onRecord: (record) => {
      const end = ends.get(record.partition) ?? 0n;
      if (BigInt(record.offset) >= end) return true;
      pending = true;
      return false;
    },
  });
  // A read cut short by the signal proves nothing.
  return !pending && options.signal?.aborted !== true;
}
