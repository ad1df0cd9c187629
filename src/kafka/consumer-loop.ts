import type { Kafka } from 'kafkajs';
import { abortableSleep } from '../core/abortable-sleep.js';
import { CrashLatch } from '../core/crash-latch.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { trackedRecords, transactionalBatches } from './batch-handlers.js';
import {
  type Assignment,
  type ConsumedBatch,
  type ConsumedRecord,
  type GroupConsumer,
  type GroupConsumerHandlers,
  type GroupSettings,
  startGroupConsumer,
} from './group-consumer.js';
import { KafkaAdmin } from './kafka-admin.js';
import { isFenced } from './kafka-errors.js';
import type { OffsetTracker } from './offset-tracker.js';
import { type RestartingStageOptions, runRestarting } from './restarting-stage.js';
import { SerialQueue } from './serial-queue.js';
import type { TopicSpec } from './topics.js';
import { TrackedCommits } from './tracked-commits.js';
import type { ConsumedOffsets } from './transactional-output.js';

// The one consumer loop of the stages that read in a consumer group (the
// processor, the sink). A stage is a handler around its pure core; the loop
// owns the rest of an attempt:
//
//   topics → open (the stage's producers and state) → join the group →
//   batches → wait for the caller's signal or the first failure → stop
//
// and starts a new attempt after a retriable failure (restarting-stage.ts).
// Offsets move in one of two ways:
// - 'transactional' (consume-transform-produce, the processor): each batch's
//   output is committed in one Kafka transaction with the offset after it.
//   Take-overs after a rebalance, batches and whatever else the stage queues
//   with `serially` run one at a time: they share the state and the producer.
// - 'tracked' (the sink): records finish out of order; every
//   commitIntervalMs, and once more at the end, each partition commits up to
//   its first record not handled yet (offset-tracker.ts).
// After any failure nothing more is processed (the crash latch): kafkajs would
// go on with the next batch and commit offsets past the one that failed.

export interface ConsumerStageOptions extends RestartingStageOptions {
  kafka: Kafka;
  /** Created when missing at the start of every attempt: what the stage reads and writes. */
  topics: readonly TopicSpec[];
  /** When another producer took over the stage's transactional id: the message of the final failure. */
  fencedMessage?: string;
  /** Opens one attempt: producers and state. Undefined when the attempt was stopped meanwhile. */
  open: (attempt: StageAttempt) => Promise<StageHandler | undefined>;
}

/** What an attempt offers the stage while it opens and runs. */
export interface StageAttempt {
  /** Aborts when the caller stops the stage or the attempt ends on a failure: followers stop with it. */
  signal: AbortSignal;
  /** Ends the attempt with this failure (the first one counts): nothing more is processed. */
  crash(error: unknown): void;
  /** Throws the attempt's failure, if there was one: queued work stops instead of writing. */
  check(): void;
  /** Runs the task after every task queued before it (take-overs and batches of a transactional stage). */
  serially<T>(task: () => Promise<T>): Promise<T>;
  /** The attempt's admin connection (committed offsets at a take-over). */
  admin: KafkaAdmin;
  /** Closes a resource when the attempt ends, after the group consumer left; the last registered first. */
  onClose(close: () => Promise<void>): void;
}

interface HandlerBase {
  group: GroupSettings;
  /** The consumer runs (readiness, timers, a log line). */
  onRunning?: () => void;
  /** The attempt ends: resolve once work in progress stopped (before the last tracked commit). */
  onStopping?: () => Promise<void>;
}

export interface TransactionalHandler extends HandlerBase {
  commits: 'transactional';
  /** Queued after each join, ahead of the first batch of the new assignment: a take-over. */
  onAssignment?: (assignment: Assignment) => Promise<void>;
  /**
   * Handles a batch (queued) and commits its output with `offsets` in one
   * transaction. Resolves true when it did: the consumer moves past the
   * batch. False leaves the batch (a partition this state is not for).
   */
  onBatch: (batch: ConsumedBatch, offsets: ConsumedOffsets) => Promise<boolean>;
}

export interface TrackedHandler extends HandlerBase {
  commits: 'tracked';
  /** Records of the (single) topic read and handled; the handler marks each done when it is handled. */
  tracker: OffsetTracker;
  commitIntervalMs: number;
  /** Records read but not handled before the consumer waits: bounds memory, not speed. */
  maxInFlight: number;
  /** Called for each record in offset order, after the tracker started it. */
  onRecord: (record: ConsumedRecord) => Promise<void>;
  /** Called synchronously after each join, before the first record of the new assignment. */
  onAssignment?: (assignment: Assignment) => void;
  /** The coordinator accepted a heartbeat of this member. */
  onHeartbeat?: () => void;
}

export type StageHandler = TransactionalHandler | TrackedHandler;

/** Runs the stage until the signal aborts, restarting after retriable failures; rejects on a final one. */
export async function runConsumerStage(options: ConsumerStageOptions): Promise<void> {
  await runRestarting(options, () => runAttempt(options));
}

async function runAttempt(options: ConsumerStageOptions): Promise<void> {
  const { kafka, logger } = options;
  // Stops this attempt's followers when it ends, whether by the caller's signal or a failure.
  const attempt = new AbortController();
  const signal = AbortSignal.any([options.signal, attempt.signal]);
  const latch = new CrashLatch();
  const crash = (error: unknown) => latch.crash(error);
  const queue = new SerialQueue();
  const closers: (() => Promise<void>)[] = [];
  const admin = KafkaAdmin.lazy(kafka);
  let handler: StageHandler | undefined;
  let consumer: GroupConsumer | undefined;
  let commits: TrackedCommits | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  try {
    await admin.connect();
    await admin.ensureTopics(options.topics);
    handler = await options.open({
      signal,
      crash,
      check: () => latch.check(),
      serially: (task) => queue.run(task),
      admin,
      onClose: (close) => closers.push(close),
    });
    if (handler === undefined || signal.aborted) return;
    let handlers: GroupConsumerHandlers;
    if (handler.commits === 'transactional') handlers = transactionalBatches(handler, latch, queue);
    else {
      const topic = singleTopic(handler.group);
      // Called only while the consumer runs: by the timer below and once at the end.
      commits = new TrackedCommits(topic, handler.tracker, (offsets) =>
        (consumer as GroupConsumer).commitOffsets(topic, offsets),
      );
      handlers = trackedRecords(handler, commits, latch, signal);
    }
    consumer = await startGroupConsumer(kafka, handler.group, handlers);
    if (handler.commits === 'tracked' && commits !== undefined) {
      const tracked = commits;
      commitTimer = setInterval(() => {
        tracked.commit().catch(crash);
      }, handler.commitIntervalMs);
    }
    handler.onRunning?.();
    await Promise.race([latch.crashed, abortableSleep(Number.POSITIVE_INFINITY, options.signal)]);
  } catch (error) {
    if (options.fencedMessage !== undefined && isFenced(error))
      throw new RowkubeError(ErrorCode.KAFKA, options.fencedMessage, false, { cause: error });
    throw error;
  } finally {
    clearInterval(commitTimer);
    attempt.abort();
    await handler?.onStopping?.();
    // Before the consumer leaves: kafkajs commits only for a running group member.
    if (commits !== undefined && consumer !== undefined)
      await commits
        .commit()
        .catch((error) => logger.warn({ err: error }, 'committing the handled offsets failed'));
    await consumer?.disconnect();
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await admin.close();
  }
}

/** Tracked offsets are kept per partition of one topic. */
function singleTopic(group: GroupSettings): string {
  const [topic] = group.topics;
  if (topic === undefined || group.topics.length > 1)
    throw new TypeError(
      `runConsumerStage: tracked commits read exactly one topic, not ${group.topics.length}`,
    );
  return topic;
}
