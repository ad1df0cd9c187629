import type { Kafka, Producer } from 'kafkajs';

// A plain (non-transactional) idempotent producer, as the sink and replay
// write audit events: one request in flight, so retried sends keep their order.

/** A record to send. Keys and values are bytes (Avro) or text (schema records). */
export interface OutgoingRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
}

/** A record and the topic it goes to. */
export interface TopicOutgoingRecord extends OutgoingRecord {
  topic: string;
}

export class RecordProducer {
  private constructor(private readonly producer: Producer) {}

  static async open(kafka: Kafka): Promise<RecordProducer> {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new RecordProducer(producer);
  }

  /** Resolves once the broker acknowledged the records; they keep their order. */
  async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    await this.producer.send({ topic, messages: [...records] });
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
