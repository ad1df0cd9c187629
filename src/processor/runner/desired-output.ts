import type { Message, Producer } from 'kafkajs';
import type { Provenance } from '../../contracts/index.js';
import type { FormConfig } from '../../core/config/form-schema.js';
import { chunksBySize, type SchemaPublisher } from '../../kafka/index.js';
import { toKafkaError } from '../../kafka/kafka-errors.js';
import { encodeDesired } from '../desired/desired-message.js';
import type { NodeUpdate } from '../materializer/index.js';

// Writes desired records in one Kafka transaction, with the consumer offsets
// they complete when they come from the hub consumer: a crash either keeps
// both or neither, so no change is lost or produced twice.

export interface ProducedUpdate {
  update: NodeUpdate;
  provenance: Provenance;
}

export interface ConsumedOffsets {
  groupId: string;
  topic: string;
  partition: number;
  /** The offset of the next record to consume. */
  next: bigint;
}

export class DesiredOutput {
  constructor(
    private readonly producer: Producer,
    private readonly publisher: SchemaPublisher,
    private readonly topic: string,
    private readonly forms: readonly Pick<FormConfig, 'name' | 'hub'>[],
  ) {}

  /** Commits the records (and offsets). Nothing to write and no offsets: no transaction. Returns how many records. */
  async commit(produced: readonly ProducedUpdate[], offsets?: ConsumedOffsets): Promise<number> {
    if (produced.length === 0 && offsets === undefined) return 0;
    const messages: (Message & { topic: string })[] = [];
    for (const { update, provenance } of produced) {
      const encoded = encodeDesired(this.topic, update, this.forms, provenance);
      for (const record of this.publisher.recordsFor(encoded.schemas))
        messages.push({ topic: this.publisher.topic, key: record.key, value: record.value });
      messages.push(encoded.message);
    }
    const tx = await this.producer.transaction();
    try {
      // In order, in sends the broker accepts: a backlog batch renders megabytes.
      for (const chunk of chunksBySize(messages)) await tx.sendBatch({ topicMessages: groupByTopic(chunk) });
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
      // The state already moved on and schemas may be unpublished: the caller starts over.
      const where = offsets === undefined ? this.topic : `${offsets.topic}[${offsets.partition}]`;
      throw toKafkaError(`committing the desired records of ${where}`, error);
    }
    return produced.length;
  }
}

function groupByTopic(messages: (Message & { topic: string })[]): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, ...message } of messages) {
    const list = byTopic.get(topic) ?? [];
    list.push(message);
    byTopic.set(topic, list);
  }
  return [...byTopic.entries()].map(([topic, list]) => ({ topic, messages: list }));
}
