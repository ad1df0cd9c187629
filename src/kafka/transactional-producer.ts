import { type Kafka, Partitioners, type Producer } from 'kafkajs';

/**
 * Broker-side limit on an open transaction of capture: it bounds one source
 * transaction, or one chunk of a snapshot. Below the broker's
 * transaction.max.timeout.ms (default 900,000).
 */
export const CAPTURE_TRANSACTION_TIMEOUT_MS = 600_000;

export interface TransactionalProducerOptions {
  /** One per writer: a new producer with the same id fences the older one. */
  transactionalId: string;
  /** Broker-side limit on an open transaction, after which the broker aborts it. */
  transactionTimeoutMs: number;
  /** kafkajs retries per request (backoff from 5 ms, doubling). Default 10. */
  retries?: number;
}

/**
 * Opens a transactional producer as every rowkube writer wants it (the change
 * sink, the processor, and the benchmark's floor, which must match the sink).
 * Resolves once the transactional id is initialised: that fences an older
 * producer with the same id and makes the coordinator abort its open transaction.
 */
export async function openTransactionalProducer(
  kafka: Kafka,
  options: TransactionalProducerOptions,
): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId: options.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: options.transactionTimeoutMs,
    // A Kafka transaction that begins right after the previous commit often
    // meets CONCURRENT_TRANSACTIONS while the commit markers are written.
    // kafkajs's default first backoff (300 ms) would cap throughput there,
    // and even 25 ms put 25-75 ms on p99 COMMIT→Kafka latency; from 5 ms,
    // doubling, p99 measured ~16 ms (bench/capture-bench.ts) and the retries
    // still give up after about 5 s in total.
    retry: { retries: options.retries ?? 10, initialRetryTime: 5, maxRetryTime: 5_000 },
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  await (await producer.transaction()).abort();
  return producer;
}
