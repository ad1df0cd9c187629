import type { AuditEvent } from '../../contracts/index.js';
import {
  AUDIT_KEY_SCHEMA,
  AUDIT_VALUE_SCHEMA,
  EMBEDDED_WIRE_FORMAT,
  encodeAudit,
  type OutgoingRecord,
  type RecordProducer,
  toKafkaError,
  type WireFormat,
} from '../../kafka/index.js';
import { publishTopicSchemas, sendInChunks } from './topic-schemas.js';

// Sends audit events to `<prefix>.audit`. Events recorded while a send is in
// flight go out together in the next one, so the sink writes few large
// batches under load and one small batch at a time when idle. A node's record
// counts as handled only after its events are acknowledged (publish resolves),
// so a crash can repeat an event but never lose one.

interface Pending {
  messages: OutgoingRecord[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class AuditPublisher {
  private queue: Pending[] = [];
  private sending = false;

  private constructor(
    private readonly producer: RecordProducer,
    private readonly topic: string,
    private readonly wire: WireFormat,
  ) {}

  /**
   * Makes the audit schemas known first, so every event can be decoded:
   * published to `<prefix>._schemas` (embedded), or registered under
   * `<prefix>.audit-key`/`-value` (registry; a refusal or a registry that is
   * away rejects here, before any event).
   */
  static async open(
    producer: RecordProducer,
    topic: string,
    schemasTopic: string,
    wire: WireFormat = EMBEDDED_WIRE_FORMAT,
  ): Promise<AuditPublisher> {
    await publishTopicSchemas(
      producer,
      wire,
      topic,
      schemasTopic,
      { key: AUDIT_KEY_SCHEMA, value: AUDIT_VALUE_SCHEMA },
      'the audit events',
    );
    return new AuditPublisher(producer, topic, wire);
  }

  /** Resolves once the events are acknowledged by the broker. */
  publish(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    // Synchronous: open() registered the audit schemas.
    const messages = this.wire
      .encode(events.map((event) => encodeAudit(this.topic, event).message))
      .map(({ topic: _topic, ...message }): OutgoingRecord => message);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.sending || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.sending = true;
    const messages = batch.flatMap((pending) => pending.messages);
    sendInChunks(this.producer, this.topic, messages)
      .then(
        () => {
          for (const pending of batch) pending.resolve();
        },
        (error: unknown) => {
          const failure = toKafkaError(`publishing audit events to ${this.topic}`, error);
          for (const pending of batch) pending.reject(failure);
        },
      )
      .finally(() => {
        this.sending = false;
        this.pump();
      });
  }
}
