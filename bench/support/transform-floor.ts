import type { Consumer, Kafka, Message, Producer } from 'kafkajs';
import { KEY_SCHEMA_HEADER, openTransactionalProducer } from '../../src/kafka/index.js';

// The processor's floor: consume-transform-produce in raw kafkajs with the
// processor's consumer settings and its transactions (one per batch, holding
// the output records and the consumer offsets after them), and a transform
// that does no work: each change record becomes one output record with the
// same key and a fixed value as large as a desired record. What the processor
// takes beyond this is decoding, materializing and rendering.
//
// A batch's output goes out in produce requests of at most REQUEST_BYTES:
// kafkajs puts all of one sendBatch's records for a partition into a single
// record batch, and the broker refuses one larger than max.message.bytes
// (1 MiB by default), which a fetch of 1 MiB of change records, rendered into
// bigger desired records, exceeds.

/** Topic → partition → the first offset not to transform. */
const REQUEST_BYTES = 512 * 1024;

export type OffsetLimits = ReadonlyMap<string, ReadonlyMap<number, bigint>>;

export interface FloorLoopOptions {
  kafka: Kafka;
  /** The change topics the processor reads. */
  inputs: readonly string[];
  /** Where the output records go; must exist. */
  output: string;
  /** Start at the beginning of the inputs (throughput) or at their end (latency). */
  fromBeginning: boolean;
  /** Only records before these offsets are transformed: the backlog, without what was written after it. */
  limits?: OffsetLimits;
  /** Size of every output value: the desired records' mean. */
  valueBytes: number;
  /** Unique per loop: its consumer group and transactional id. */
  name: string;
}

export class FloorLoop {
  /** Rejects when the loop crashed; never resolves. */
  readonly failed: Promise<never>;

  private constructor(
    private readonly consumer: Consumer,
    private readonly producer: Producer,
    failed: Promise<never>,
  ) {
    this.failed = failed;
  }

  static async start(options: FloorLoopOptions): Promise<FloorLoop> {
    const { kafka, output, limits, name } = options;
    const producer = await openTransactionalProducer(kafka, {
      transactionalId: name,
      transactionTimeoutMs: 60_000,
    });
    // As src/processor/process-runner.ts configures its consumer.
    const consumer = kafka.consumer({
      groupId: name,
      readUncommitted: false,
      maxWaitTimeInMs: 20,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: async () => false },
    });
    let crashed: (error: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
      crashed = reject;
    });
    failed.catch(() => undefined);
    consumer.on(consumer.events.CRASH, ({ payload }) => crashed(payload.error));
    const loop = new FloorLoop(consumer, producer, failed);
    const value = Buffer.alloc(options.valueBytes, 'x');
    const perRequest = Math.max(1, Math.floor(REQUEST_BYTES / Math.max(1, options.valueBytes)));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...options.inputs], fromBeginning: options.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (batch.messages.length === 0 || !isRunning() || isStale()) return;
          const limit = limits?.get(batch.topic)?.get(batch.partition);
          const outgoing: Message[] = [];
          for (const message of batch.messages) {
            if (limit !== undefined && BigInt(message.offset) >= limit) continue;
            const keySchema = message.headers?.[KEY_SCHEMA_HEADER];
            outgoing.push({
              key: message.key,
              value,
              headers: keySchema === undefined ? {} : { [KEY_SCHEMA_HEADER]: keySchema },
            });
          }
          const last = batch.messages[batch.messages.length - 1]?.offset as string;
          const tx = await producer.transaction();
          try {
            for (let start = 0; start < outgoing.length; start += perRequest)
              await tx.send({ topic: output, messages: outgoing.slice(start, start + perRequest) });
            await tx.sendOffsets({
              consumerGroupId: name,
              topics: [
                {
                  topic: batch.topic,
                  partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }],
                },
              ],
            });
            await tx.commit();
          } catch (error) {
            await tx.abort().catch(() => undefined);
            // Thrown alone, kafkajs would retry by fetching on after this
            // batch (it does not seek back) and a later commit would skip it.
            crashed(error);
            throw error;
          }
          resolveOffset(last);
          await heartbeat();
        },
      });
    } catch (error) {
      await loop.stop();
      throw error;
    }
    return loop;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }
}
