import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';

// The benches' receiving end: a read_committed consumer of one topic, as a
// downstream processor would read it, but polling with a short fetch wait
// (10 ms instead of kafkajs's 5 s) so that the consumer's own long-poll adds
// little to what it measures. Every message of a batch arrived together, so
// the batch's arrival time is each message's.

export interface TopicWatcherOptions {
  kafka: Kafka;
  topic: string;
  /**
   * From the topic's end (default: latency phases, only what is written from
   * now on), or from its beginning (throughput phases: the topic exists and
   * is empty when the watcher starts, so nothing can be missed).
   */
  fromBeginning?: boolean;
  /** Each message, with its batch's arrival time. */
  onMessage?: (message: KafkaMessage, receivedAt: number) => void | Promise<void>;
  /** Or each batch at once. */
  onBatch?: (messages: readonly KafkaMessage[], receivedAt: number) => void | Promise<void>;
}

export class TopicWatcher {
  private constructor(private readonly consumer: Consumer) {}

  static async start(options: TopicWatcherOptions): Promise<TopicWatcher> {
    const { kafka, topic, fromBeginning = false, onMessage, onBatch } = options;
    const consumer = kafka.consumer({
      groupId: `rowkube-bench-${randomUUID()}`,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 10,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.messages.length === 0) return;
        const receivedAt = performance.now();
        await onBatch?.(batch.messages, receivedAt);
        if (onMessage !== undefined)
          for (const message of batch.messages) await onMessage(message, receivedAt);
      },
    });
    return new TopicWatcher(consumer);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}
