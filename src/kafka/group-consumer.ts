import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { IDLE_FETCH_WAIT_MS } from './fetch-wait.js';
import { headersToText } from './topic-reader.js';

// The consumer-group member of a stage (processor, sink), configured the one
// way both want it. Nothing is committed behind the stage's back: offsets
// move only in its transactions or its tracked commits (consumer-loop.ts).

export interface GroupSettings {
  groupId: string;
  /** Read from the beginning when the group has no committed offset. */
  topics: readonly string[];
  /** How long a silent member keeps its partitions before they move on. */
  sessionTimeoutMs: number;
}

/** Topic → the partitions assigned to this member. */
export type Assignment = ReadonlyMap<string, readonly number[]>;

export interface ConsumedRecord {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values as UTF-8 text. */
  headers: Record<string, string>;
  /** When the fetch that brought it returned, ms since epoch (the per-stage latency). */
  receivedAtMs?: number;
}

/** The records of one fetch of one partition, in offset order; never empty. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  /** The offset after the last record: where the partition continues once the batch is handled. */
  next: bigint;
}

/** What kafkajs offers while a batch is handled. */
export interface BatchControls {
  /** False once the consumer is stopping or the batch went stale (a seek): leave the rest of it. */
  active(): boolean;
  /** Keeps the membership alive during long work; sent only when the interval is due. */
  heartbeat(): Promise<void>;
  /** Moves the fetch position past the whole batch. */
  resolve(): void;
}

export interface GroupConsumerHandlers {
  /** Called synchronously after each join, before fetching resumes. */
  onAssignment: (assignment: Assignment) => void;
  /** The consumer stopped on a failure and will not restart by itself. */
  onCrash: (error: unknown) => void;
  /** Batches come one at a time; a rejection stops the consumer (CRASH). */
  onBatch: (batch: ConsumedBatch, controls: BatchControls) => Promise<void>;
  /** The coordinator accepted a heartbeat: the membership (and its assignment) is alive. */
  onHeartbeat?: () => void;
  /** Move the fetch position past every batch whose handler resolved (true), or only on resolve() (false). */
  autoResolve: boolean;
}

export interface GroupConsumer {
  /** Commits offsets of one topic (partition → the next record to read). Only a running member can. */
  commitOffsets(topic: string, offsets: ReadonlyMap<number, bigint>): Promise<void>;
  /** Leaves the group; never rejects. */
  disconnect(): Promise<void>;
}

/** Well under the sessions' 10 s, as Kafka advises (a third); sent between fetches. */
const HEARTBEAT_INTERVAL_MS = 3_000;

/** Joins the group and runs; resolves once the consumer runs. */
export async function startGroupConsumer(
  kafka: Kafka,
  settings: GroupSettings,
  handlers: GroupConsumerHandlers,
): Promise<GroupConsumer> {
  const consumer: Consumer = kafka.consumer({
    groupId: settings.groupId,
    readUncommitted: false,
    maxWaitTimeInMs: IDLE_FETCH_WAIT_MS,
    allowAutoTopicCreation: false,
    // A batch that failed has already changed the stage's state (and a record
    // that cannot be decoded must not be skipped): kafkajs must neither retry
    // it against this state nor go past it. The stage restarts instead.
    retry: { retries: 0, restartOnFailure: async () => false },
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
  });
  const group: GroupConsumer = {
    commitOffsets: async (topic, offsets) => {
      await consumer.commitOffsets(
        [...offsets].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() })),
      );
    },
    disconnect: () => consumer.disconnect().catch(() => undefined),
  };
  try {
    consumer.on(consumer.events.CRASH, ({ payload }) => handlers.onCrash(payload.error));
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
      handlers.onAssignment(new Map(Object.entries(payload.memberAssignment))),
    );
    consumer.on(consumer.events.HEARTBEAT, () => handlers.onHeartbeat?.());
    await consumer.connect();
    await consumer.subscribe({ topics: [...settings.topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: handlers.autoResolve,
      eachBatch: async (payload) => {
        if (payload.batch.messages.length === 0) return;
        await handlers.onBatch(toBatch(payload), {
          active: () => payload.isRunning() && !payload.isStale(),
          heartbeat: payload.heartbeat,
          // The last record's offset: kafkajs then also moves past a commit marker after it.
          resolve: () =>
            payload.resolveOffset(
              payload.batch.messages[payload.batch.messages.length - 1]?.offset as string,
            ),
        });
      },
    });
  } catch (error) {
    await group.disconnect();
    throw error;
  }
  return group;
}

function toBatch({ batch }: EachBatchPayload): ConsumedBatch {
  const receivedAtMs = Date.now();
  const records = batch.messages.map((message) => ({
    receivedAtMs,
    partition: batch.partition,
    offset: BigInt(message.offset),
    key: message.key,
    value: message.value,
    headers: headersToText(message.headers),
  }));
  const last = records[records.length - 1] as ConsumedRecord;
  return { topic: batch.topic, partition: batch.partition, records, next: last.offset + 1n };
}
