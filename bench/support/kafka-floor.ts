import { performance } from 'node:perf_hooks';
import type { Kafka, Message, Producer } from 'kafkajs';
import {
  CAPTURE_TRANSACTION_TIMEOUT_MS,
  ChangeEncoder,
  ensureTopics,
  openTransactionalProducer,
} from '../../src/kafka/index.js';
import { deleteTopicsWithPrefix } from '../../support/kafka-cleanup.js';
import { type LatencySummary, summarize } from '../../support/percentiles.js';
import { uniqueName } from '../../support/stack-env.js';
import { benchRow, benchTableSchema } from './bench-rows.js';
import { once, onInterrupt } from './interrupt.js';
import { type LatencyProbe, measureLatency } from './latency-phase.js';
import { TopicWatcher } from './topic-watcher.js';

// The floor: what this broker and kafkajs can do on this machine in this run,
// with no database and no connector. Messages are real change envelopes of the
// bench table, encoded before the clock starts, and go out the way
// KafkaChangeSink sends them: one transactional producer with the sink's
// settings, chunks of CHUNK messages per produce request, MAX_BATCH messages
// per Kafka transaction (the sink's defaults), one request in flight.

const CHUNK = 500;
const MAX_BATCH = 10_000;
const ID_HEADER = 'bench-id';

export interface FloorFigures {
  eventsPerSec: number;
  /** Message handed to the producer → received by a read_committed consumer. */
  latencyMs: LatencySummary;
  /** tx.commit() returned → received: the read_committed visibility lag alone. */
  commitToReceiveMs: LatencySummary;
  throughput: {
    messages: number;
    seconds: number;
    transactions: number;
    messagesPerTransaction: number;
    messagesPerRequest: number;
    avgValueBytes: number;
  };
  latency: {
    sent: number;
    received: number;
    lost: number;
    achievedRate: number;
    transactions: number;
  };
}

export interface FloorOptions {
  kafka: Kafka;
  rows: number;
  rate: number;
  seconds: number;
  say: (line: string) => void;
}

export async function benchFloor({ kafka, rows, rate, seconds, say }: FloorOptions): Promise<FloorFigures> {
  const prefix = uniqueName('rkbench');
  const encoder = new ChangeEncoder({ prefix });
  const table = benchTableSchema('floor', 'rowkube', 'bench');
  const topic = encoder.describe(table).topic;
  // The latency phase finds its messages by an id header; the throughput
  // phase sends exactly what capture sends (kafkajs encodes each header
  // separately, so an extra one would slow the floor down).
  const encode = (id: number, idHeader = false): Message => {
    const [message] = encoder.encode(
      { op: 'c', table, before: null, after: { ...benchRow(id) } },
      {
        snapshot: false,
        txId: `0-1-${id}`,
        position: { file: 'mariadb-bin.000001', pos: 1_000_000 + id * 300, gtid: `0-1-${id}` },
        tsMs: Date.now(),
      },
    ).messages;
    if (message === undefined) throw new Error('the encoder returned no message for an insert');
    const headers = idHeader ? { ...message.headers, [ID_HEADER]: String(id) } : message.headers;
    return { key: message.key, value: message.value, headers };
  };
  const cleanUp = once(() => deleteTopicsWithPrefix(kafka, prefix));
  const unregister = onInterrupt(cleanUp);
  try {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [{ name: topic, kind: 'change' }]);
    } finally {
      await admin.disconnect();
    }
    const throughput = await floorThroughput(kafka, prefix, topic, rows, encode);
    say(
      `floor: throughput: ${Math.round(throughput.eventsPerSec)} messages/s (${rows} in ${throughput.seconds} s, ` +
        `${throughput.transactions} transactions, ${throughput.avgValueBytes} B values)`,
    );
    const { latency, commitToReceive, transactions } = await floorLatency(
      kafka,
      prefix,
      topic,
      rate,
      seconds,
      rows,
      encode,
      say,
    );
    say(
      `floor: latency hand-over→consumer: p50 ${latency.latencyMs.p50} ms, p99 ${latency.latencyMs.p99} ms, ` +
        `max ${latency.latencyMs.max} ms; commit→consumer p50 ${commitToReceive.p50} ms, p99 ${commitToReceive.p99} ms`,
    );
    return {
      eventsPerSec: Math.round(throughput.eventsPerSec),
      latencyMs: latency.latencyMs,
      commitToReceiveMs: commitToReceive,
      throughput: {
        messages: rows,
        seconds: throughput.seconds,
        transactions: throughput.transactions,
        messagesPerTransaction: Math.round(rows / throughput.transactions),
        messagesPerRequest: CHUNK,
        avgValueBytes: throughput.avgValueBytes,
      },
      latency: {
        sent: latency.sent,
        received: latency.received,
        lost: latency.lost,
        achievedRate: latency.achievedRate,
        transactions,
      },
    };
  } finally {
    unregister();
    await cleanUp();
  }
}

/** A producer set up exactly as KafkaChangeSink sets up its own. */
function openProducer(kafka: Kafka, transactionalId: string): Promise<Producer> {
  return openTransactionalProducer(kafka, {
    transactionalId,
    transactionTimeoutMs: CAPTURE_TRANSACTION_TIMEOUT_MS,
  });
}

async function floorThroughput(
  kafka: Kafka,
  prefix: string,
  topic: string,
  rows: number,
  encode: (id: number) => Message,
): Promise<{ eventsPerSec: number; seconds: number; transactions: number; avgValueBytes: number }> {
  const messages = Array.from({ length: rows }, (_, i) => encode(i + 1));
  const avgValueBytes = Math.round(messages.reduce((n, m) => n + (m.value as Buffer).length, 0) / rows);
  const producer = await openProducer(kafka, `rowkube-bench-floor-${prefix}`);
  try {
    let transactions = 0;
    const t0 = performance.now();
    for (let start = 0; start < rows; start += MAX_BATCH) {
      const end = Math.min(start + MAX_BATCH, rows);
      const tx = await producer.transaction();
      for (let i = start; i < end; i += CHUNK)
        await tx.sendBatch({
          topicMessages: [{ topic, messages: messages.slice(i, Math.min(i + CHUNK, end)) }],
        });
      await tx.commit();
      transactions += 1;
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      eventsPerSec: rows / seconds,
      seconds: Math.round(seconds * 100) / 100,
      transactions,
      avgValueBytes,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/**
 * Messages are handed over at the steady rate; a sender commits each in a
 * transaction of its own, or, when messages arrived while the previous commit
 * was in flight, all of them in the next (as the sink groups source commits),
 * so a slow commit delays messages instead of queueing them without bound.
 */
async function floorLatency(
  kafka: Kafka,
  prefix: string,
  topic: string,
  rate: number,
  seconds: number,
  firstId: number,
  encode: (id: number, idHeader: boolean) => Message,
  say: (line: string) => void,
): Promise<{
  latency: Awaited<ReturnType<typeof measureLatency>>;
  commitToReceive: LatencySummary;
  transactions: number;
}> {
  const producer = await openProducer(kafka, `rowkube-bench-floor-latency-${prefix}`);
  const queue: { id: number; message: Message }[] = [];
  const committedAt = new Map<number, number>();
  let transactions = 0;
  let wake: (() => void) | undefined;
  let stopping = false;
  let failure: unknown;
  const sender = (async () => {
    while (!stopping || queue.length > 0) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      const batch = queue.splice(0);
      const tx = await producer.transaction();
      await tx.sendBatch({ topicMessages: [{ topic, messages: batch.map((b) => b.message) }] });
      await tx.commit();
      transactions += 1;
      const now = performance.now();
      for (const b of batch) committedAt.set(b.id, now);
    }
  })().catch((error: unknown) => {
    failure = error;
  });
  const probe: LatencyProbe = {
    watch: (onReceive) =>
      TopicWatcher.start({
        kafka,
        topic,
        onMessage: (message, receivedAt) => {
          const id = message.headers?.[ID_HEADER]?.toString();
          if (id !== undefined) onReceive(Number(id), receivedAt);
        },
      }),
    write: async (id) => {
      if (failure !== undefined) throw failure;
      queue.push({ id, message: encode(id, true) });
      wake?.();
    },
  };
  try {
    const latency = await measureLatency(probe, {
      rate,
      seconds,
      firstId: firstId + 1,
      warmupId: 1_000_000_000,
      label: 'floor',
      say,
    });
    const afterCommit: number[] = [];
    for (const [id, received] of latency.receivedAt) {
      const committed = committedAt.get(id);
      if (committed !== undefined) afterCommit.push(received - committed);
    }
    return { latency, commitToReceive: summarize(afterCommit), transactions };
  } finally {
    stopping = true;
    wake?.();
    await sender;
    await producer.disconnect().catch(() => undefined);
  }
}
