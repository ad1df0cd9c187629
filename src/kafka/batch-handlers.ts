import { abortableSleep } from '../core/abortable-sleep.js';
import type { CrashLatch } from '../core/crash-latch.js';
import type { TrackedHandler, TransactionalHandler } from './consumer-loop.js';
import type { GroupConsumerHandlers } from './group-consumer.js';
import type { SerialQueue } from './serial-queue.js';
import type { TrackedCommits } from './tracked-commits.js';

// How the consumer loop feeds a stage's handler the batches kafkajs fetches:
// when a batch counts as consumed, what runs in which order, and how the
// first failure stops everything after it. No Kafka connection here: the
// group consumer calls these, and so do the unit tests.

/**
 * Consume-transform-produce: each batch runs queued behind the take-over of
 * its assignment, and the consumer moves past it only once the handler
 * committed its output with the offsets.
 */
export function transactionalBatches(
  handler: TransactionalHandler,
  latch: CrashLatch,
  queue: SerialQueue,
): GroupConsumerHandlers {
  const { groupId } = handler.group;
  return {
    autoResolve: false,
    onCrash: (error) => latch.crash(error),
    // Emitted synchronously after each join, before fetching resumes: the
    // take-over is queued ahead of the first batch of the new assignment.
    onAssignment: (assignment) => {
      const { onAssignment } = handler;
      if (onAssignment === undefined) return;
      queue.run(() => onAssignment(assignment)).catch((error) => latch.crash(error));
    },
    onBatch: async (batch, controls) => {
      await queue
        .run(async () => {
          latch.check();
          if (!controls.active()) return;
          const offsets = { groupId, topic: batch.topic, partition: batch.partition, next: batch.next };
          if (await handler.onBatch(batch, offsets)) controls.resolve();
        })
        .catch((error: unknown) => {
          latch.crash(error);
          throw error;
        });
      await controls.heartbeat();
    },
  };
}

/**
 * Tracked commits: each record is tracked, then handed over; the consumer
 * waits (heartbeating) while too many records are unhandled.
 */
export function trackedRecords(
  handler: TrackedHandler,
  commits: TrackedCommits,
  latch: CrashLatch,
  signal: AbortSignal,
): GroupConsumerHandlers {
  const { tracker, maxInFlight } = handler;
  return {
    // The fetch position may move past a batch once it returns: every record
    // of it is tracked by then, and what is committed is the tracker's offset.
    autoResolve: true,
    onCrash: (error) => latch.crash(error),
    onAssignment: (assignment) => {
      commits.assigned(assignment);
      handler.onAssignment?.(assignment);
    },
    onHeartbeat: () => handler.onHeartbeat?.(),
    onBatch: async (batch, controls) => {
      for (const record of batch.records) {
        latch.check();
        if (!controls.active()) return;
        while (tracker.inFlight >= maxInFlight && !signal.aborted) {
          await abortableSleep(50, signal);
          await controls.heartbeat();
        }
        tracker.started(record.partition, record.offset);
        await handler.onRecord(record).catch((error: unknown) => {
          latch.crash(error);
          throw error;
        });
      }
      await controls.heartbeat();
    },
  };
}
