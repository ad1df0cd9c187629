import type { Kafka, Message, Producer } from 'kafkajs';
import { toKafkaError } from './kafka-errors.js';
import type { TopicOutgoingRecord } from './record-producer.js';
import { chunksBySize } from './size-chunks.js';
import { openTransactionalProducer } from './transactional-producer.js';
import { EMBEDDED_WIRE_FORMAT, type WireFormat } from './wire-format.js';

// Consume-transform-produce: the records a batch caused are written in one
// Kafka transaction together with the consumer offset after the batch, so a
// crash either keeps both or neither — no record is lost or produced twice.
// Records not caused by a batch (the processor's lookup changes and
// take-overs) go in a transaction of their own.

/** The group offset a transaction commits: the next record of a partition to consume. */
export interface ConsumedOffsets {
  groupId: string;
  topic: string;
  partition: number;
  /** The offset of the next record to consume. */
  next: bigint;
}

export interface TransactionalOutputOptions {
  /** One per writer: a new producer with the same id fences the older one. */
  transactionalId: string;
  /** Broker-side limit on an open transaction, after which the broker aborts it. */
  transactionTimeoutMs: number;
  /** How records go out (wire-format.ts); default embedded. */
  wire?: WireFormat;
}

export class TransactionalOutput {
  private constructor(
    private readonly producer: Producer,
    private readonly wire: WireFormat,
  ) {}

  /**
   * Opens the producer and takes over the transactional id: what an earlier
   * run of this writer left open is aborted, so what is read next is final.
   */
  static async open(kafka: Kafka, options: TransactionalOutputOptions): Promise<TransactionalOutput> {
    const { wire, ...producerOptions } = options;
    return new TransactionalOutput(
      await openTransactionalProducer(kafka, producerOptions),
      wire ?? EMBEDDED_WIRE_FORMAT,
    );
  }

  /**
   * Writes the records (in order, in sends the broker accepts) and the
   * offsets in one transaction. Nothing to write and no offsets: no
   * transaction. A failure aborts the transaction and rejects with a
   * ROWKUBE_ERR_KAFKA naming `what`; the caller's state has moved on, so it
   * starts over.
   */
  async commit(
    records: readonly TopicOutgoingRecord[],
    offsets: ConsumedOffsets | undefined,
    what: string,
  ): Promise<void> {
    if (records.length === 0 && offsets === undefined) return;
    // Before the transaction opens: a registry that is away (retriable) or
    // refuses a schema fails the commit with nothing sent.
    const wired = await this.wire.toWire(records);
    const tx = await this.producer.transaction();
    try {
      // A backlog batch renders megabytes.
      for (const chunk of chunksBySize(wired)) await tx.sendBatch({ topicMessages: groupByTopic(chunk) });
      if (offsets !== undefined) {
        await tx.sendOffsets({
          consumerGroupId: offsets.groupId,
          topics: [
            {
              topic: offsets.topic,
              partitions: [{ partition: offsets.partition, offset: offsets.next.toString() }],
            },
          ],
        });
      }
      await tx.commit();
    } catch (error) {
      await tx.abort().catch(() => undefined);
      throw toKafkaError(what, error);
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

function groupByTopic(records: readonly TopicOutgoingRecord[]): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, ...message } of records) {
    const list = byTopic.get(topic) ?? [];
    list.push(message);
    byTopic.set(topic, list);
  }
  return [...byTopic.entries()].map(([topic, list]) => ({ topic, messages: list }));
}
