import type { NodeStatus } from '../../contracts/index.js';
import {
  EMBEDDED_WIRE_FORMAT,
  encodeStatus,
  encodeStatusTombstone,
  type OutgoingRecord,
  type RecordProducer,
  STATUS_KEY_SCHEMA,
  STATUS_VALUE_SCHEMA,
  toKafkaError,
  type WireFormat,
} from '../../kafka/index.js';
import { publishTopicSchemas, sendInChunks } from '../audit/topic-schemas.js';

// Sends node statuses to `<prefix>.status`, coalesced: a node's status asked
// for while a send is in flight replaces the one still waiting, so under a
// bulk each send carries the latest state of each node, not every
// intermediate one (a Progressing followed by its Ready goes out as the Ready
// alone). The record is built only when its send starts, so a replaced status
// costs nothing. Whoever waited on a replaced status is answered with the
// send of the status that replaced it: the node's latest state is what counts.

/** The status of a node, built when its send starts; null writes its tombstone. */
export type StatusBuilder = () => NodeStatus | null;

interface Pending {
  build: StatusBuilder;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

export class StatusPublisher {
  private pending = new Map<string, Pending>();
  private sending = false;
  private idleWaiters: (() => void)[] = [];

  private constructor(
    private readonly producer: RecordProducer,
    readonly topic: string,
    private readonly wire: WireFormat,
  ) {}

  /** Makes the status schemas known first (as AuditPublisher.open does for the audit ones). */
  static async open(
    producer: RecordProducer,
    topic: string,
    schemasTopic: string,
    wire: WireFormat = EMBEDDED_WIRE_FORMAT,
  ): Promise<StatusPublisher> {
    await publishTopicSchemas(
      producer,
      wire,
      topic,
      schemasTopic,
      { key: STATUS_KEY_SCHEMA, value: STATUS_VALUE_SCHEMA },
      'the node status',
    );
    return new StatusPublisher(producer, topic, wire);
  }

  /** Resolves once the node's latest status (this one or one that replaced it) is acknowledged by the broker. */
  publish(nodeId: string, build: StatusBuilder): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry = this.pending.get(nodeId);
      if (entry === undefined) this.pending.set(nodeId, { build, waiters: [{ resolve, reject }] });
      else {
        entry.build = build;
        entry.waiters.push({ resolve, reject });
      }
      this.pump();
    });
  }

  /** Resolves when nothing waits and no send is in flight. */
  idle(): Promise<void> {
    if (!this.sending && this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.sending) return;
    if (this.pending.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    const batch = this.pending;
    this.pending = new Map();
    this.sending = true;
    let messages: OutgoingRecord[];
    try {
      messages = this.wire
        .encode(
          [...batch].map(([nodeId, { build }]) => {
            const status = build();
            return status === null
              ? encodeStatusTombstone(this.topic, nodeId).message
              : encodeStatus(this.topic, status).message;
          }),
        )
        .map(({ topic: _topic, ...message }): OutgoingRecord => message);
    } catch (error) {
      // A status that does not encode is a bug: its nodes fail rather than the sink stalling.
      this.settle(batch, error);
      return;
    }
    sendInChunks(this.producer, this.topic, messages).then(
      () => this.settle(batch, undefined),
      (error: unknown) => this.settle(batch, toKafkaError(`publishing node status to ${this.topic}`, error)),
    );
  }

  private settle(batch: Map<string, Pending>, error: unknown): void {
    for (const { waiters } of batch.values())
      for (const waiter of waiters) {
        if (error === undefined) waiter.resolve();
        else waiter.reject(error);
      }
    this.sending = false;
    this.pump();
  }
}
