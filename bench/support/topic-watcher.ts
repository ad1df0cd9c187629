import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';

// The latency phases' receiving end: a read_committed consumer of one topic
// from its end, as a downstream processor would read it, but polling with a
// short fetch wait (10 ms instead of kafkajs's 5 s) so that the consumer's
// own long-poll adds little to the measured latency. Every message of a batch
// arrived together, so the batch's arrival time is each message's.

export interface TopicWatcherOptions {
  kafka: Kafka;
  topic: string;
  onMessage: (message: KafkaMessage, receivedAt: number) => void | Promise<void>;
}

export class TopicWatcher {
  private constructor(private readonly consumer: Consumer) {}

  static async start({ kafka, topic, onMessage }: TopicWatcherOptions): Promise<TopicWatcher> {
    const consumer = kafka.consumer({
      groupId: `rowkube-bench-${randomUUID()}`,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 10,
    });
    await consumer.connect();
    // A new group starts at the end: only what is written from now on arrives.
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const receivedAt = performance.now();
        for (const message of batch.messages) await onMessage(message, receivedAt);
      },
    });
    return new TopicWatcher(consumer);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}
