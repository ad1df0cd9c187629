import type { Kafka } from 'kafkajs';
import { captureTransactionalId, offsetsTopic } from '../contracts/index.js';
import type { SourcePosition } from '../core/change-event.js';
import { snapshotRequestedPosition } from '../core/snapshot-progress.js';
import { toKafkaError } from './kafka-errors.js';
import { positionRecord, readLastPosition } from './offset-store.js';
import { ensureTopics } from './topics.js';
import { openTransactionalProducer } from './transactional-producer.js';

// `rowkube snapshot --source S`: marks the source's offset record so that the
// next capture start takes a new snapshot that replaces the captured rows.
//
// The mark is written with the source's own transactional id, as capture
// writes its offsets. That fences a capture of the source still running: its
// open transaction is aborted, its next commit fails for good (the source
// stops with ROWKUBE_ERR_KAFKA, "fenced"), so it can neither overwrite the
// mark with a stream position nor commit changes after it. Start capture
// again to take the snapshot.

export interface RequestSnapshotOptions {
  kafka: Kafka;
  prefix: string;
  source: string;
  /** Of the offsets topic, when this creates it. Default 1. */
  replicationFactor?: number | undefined;
  /** Clock, ms since epoch. */
  now?: () => number;
}

/** Stores the mark; resolves with the position stored before it (undefined when there was none). */
export async function requestSnapshot(options: RequestSnapshotOptions): Promise<SourcePosition | undefined> {
  const { kafka, prefix, source } = options;
  const topic = offsetsTopic(prefix);
  const admin = kafka.admin();
  try {
    await admin.connect();
    await ensureTopics(admin, [
      { name: topic, kind: 'offsets', replicationFactor: options.replicationFactor ?? 1 },
    ]);
  } catch (error) {
    throw toKafkaError(`preparing ${topic} for a new snapshot of source '${source}'`, error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  let producer: Awaited<ReturnType<typeof openTransactionalProducer>> | undefined;
  try {
    // Initialising the id fences a running capture of the source and aborts what it left open.
    producer = await openTransactionalProducer(kafka, {
      transactionalId: captureTransactionalId(prefix, source),
      transactionTimeoutMs: 60_000,
    });
    const previous = await readLastPosition({ kafka, prefix, name: source });
    const record = positionRecord(source, snapshotRequestedPosition((options.now ?? Date.now)()));
    const transaction = await producer.transaction();
    try {
      await transaction.send({ topic, messages: [{ key: record.key, value: record.value }] });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
    return previous;
  } catch (error) {
    throw toKafkaError(`storing the snapshot request of source '${source}' in ${topic}`, error);
  } finally {
    await producer?.disconnect().catch(() => undefined);
  }
}
