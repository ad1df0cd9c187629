import type { Admin, Kafka, Message, Producer, Transaction } from 'kafkajs';
import type { Logger } from 'pino';
import { captureTransactionalId, offsetsTopic, schemasTopic } from '../contracts/index.js';
import type { ChangeSink, CommitInfo, RowChange, SourcePosition } from '../core/change-event.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { ChangeEncoder, type SourceContext } from './change-encoder.js';
import { type Deferred, deferred } from './deferred.js';
import { isFenced, toKafkaError } from './kafka-errors.js';
import { positionRecord, readLastPosition } from './offset-store.js';
import { SchemaPublisher } from './schema-registry.js';
import { ensureTopics } from './topics.js';
import { openTransactionalProducer } from './transactional-producer.js';

// Delivers a connector's stream to Kafka with transactions: the change events
// of a source transaction and the position after it become visible to
// read_committed consumers together, or not at all.
//
// Throughput comes from two things:
// - Several source transactions share one Kafka transaction (a "group"): it is
//   committed once it has been open for `lingerMs` or holds `maxBatch` events,
//   and while one Kafka commit is in flight the next group fills up. Only the
//   last position of a group is written: it covers every commit before it.
// - A big source transaction does not wait for its commit: every `chunkSize`
//   changes are encoded and sent into the open Kafka transaction, so memory
//   holds at most about one chunk of it.
//
// A Kafka transaction only ever ends at a source commit: the changes of an
// uncommitted source transaction are never committed to Kafka. When a big
// transaction has to spill a chunk, the group before it is committed first.
//
// Work runs in one ordered queue (kafkajs allows one open transaction per
// producer); append() and commit() only encode and enqueue.

export interface KafkaChangeSinkOptions {
  /** A kafkajs client, e.g. from createKafka(). */
  kafka: Kafka;
  /** Topic prefix (`kafka.topicPrefix`). */
  prefix: string;
  /** The source's configured name: the transactional id is `rowkube-capture-<source>`, the `_offsets` key is the name. */
  source: string;
  /** Messages per produce request inside a transaction; a big source transaction holds about this many in memory. Default 500. */
  chunkSize?: number;
  /** Commit a Kafka transaction once it has been open this long. Default 5 ms. */
  lingerMs?: number;
  /** Commit a Kafka transaction once it holds this many events, even before lingerMs. Default 10,000. */
  maxBatch?: number;
  /**
   * Broker-side limit on an open Kafka transaction, after which the broker
   * aborts it. A snapshot is one source transaction, so this bounds its
   * duration. Default 600,000 ms; must not exceed the broker's
   * transaction.max.timeout.ms (default 900,000). Read_committed consumers of
   * the same partitions wait while a transaction is open.
   */
  transactionTimeoutMs?: number;
  /** kafkajs retries per request (backoff from 5 ms, doubling) before a transaction is given up and aborted. Default 10. */
  retries?: number;
  /** Partitions of change topics created by the sink. Default 1. */
  partitions?: number;
  /** Replication factor of topics created by the sink. Default 1. */
  replicationFactor?: number;
  logger?: Logger;
  /** Clock for the envelopes' ts_ms. */
  now?: () => number;
}

/** Counters since create(), e.g. for a benchmark. */
export interface KafkaChangeSinkStats {
  /** Change messages sent (tombstones included). */
  events: number;
  /** Source transactions committed to Kafka. */
  commits: number;
  /** Kafka transactions committed. */
  transactions: number;
}

interface PendingCommit {
  position: SourcePosition;
  done: Deferred;
}

type Outgoing = Message & { topic: string };

type WorkItem =
  | { kind: 'send'; messages: Outgoing[]; done?: Deferred }
  | { kind: 'commit'; commits: PendingCommit[]; messages: Outgoing[] }
  | { kind: 'abort'; done: Deferred };

/** Committed source transactions waiting for their Kafka transaction to be committed. */
interface Group {
  commits: PendingCommit[];
  /** Their messages not handed to the queue yet. */
  messages: Outgoing[];
  events: number;
  startedAt: number | undefined;
  /** Commit as soon as possible: a source transaction of the group spilled, or flush() was called. */
  urgent: boolean;
}

export class KafkaChangeSink implements ChangeSink {
  private readonly chunkSize: number;
  private readonly lingerMs: number;
  private readonly maxBatch: number;
  private readonly now: () => number;
  private readonly encoder: ChangeEncoder;
  private readonly schemasTopic: string;
  private readonly offsetsTopic: string;
  private readonly knownTopics = new Set<string>();
  private readonly counters: KafkaChangeSinkStats = { events: 0, commits: 0, transactions: 0 };
  private publisher: SchemaPublisher;
  private producer: Producer | undefined;
  private tx: Transaction | undefined;

  /** The source transaction being appended: not encoded yet. */
  private raw: RowChange[] = [];
  private rawStartedAt: number | undefined;
  /** Part of the current source transaction is already in the open Kafka transaction. */
  private rawSpilled = false;

  private group: Group = emptyGroup(undefined);
  private readonly queue: WorkItem[] = [];
  private current: WorkItem | undefined;
  private pumping: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private drainWaiters: Deferred[] = [];
  /** Set after a failure: every call rejects with it until abort(). */
  private failure: RowkubeError | undefined;
  /** Another producer took over the transactional id: nothing but a new process helps. */
  private fenced = false;
  /** The pump stops after its current step (recovery, close). */
  private halted = false;
  private closed = false;

  private constructor(
    private readonly options: KafkaChangeSinkOptions,
    private readonly admin: Admin,
  ) {
    this.chunkSize = options.chunkSize ?? 500;
    this.lingerMs = options.lingerMs ?? 5;
    this.maxBatch = options.maxBatch ?? 10_000;
    this.now = options.now ?? Date.now;
    this.encoder = new ChangeEncoder({ prefix: options.prefix, now: this.now });
    this.schemasTopic = schemasTopic(options.prefix);
    this.offsetsTopic = offsetsTopic(options.prefix);
    this.publisher = new SchemaPublisher(this.schemasTopic);
  }

  /**
   * Connects, creates the schema and offsets topics if needed, and takes over
   * the source's transactional id: an earlier instance still running is
   * fenced off and its open transaction aborted. Read the stored position
   * (readLastPosition) after this resolves.
   */
  static async create(options: KafkaChangeSinkOptions): Promise<KafkaChangeSink> {
    const admin = options.kafka.admin();
    const sink = new KafkaChangeSink(options, admin);
    try {
      await admin.connect();
      const replicationFactor = options.replicationFactor ?? 1;
      await ensureTopics(admin, [
        { name: sink.schemasTopic, kind: 'schemas', replicationFactor },
        { name: sink.offsetsTopic, kind: 'offsets', replicationFactor },
      ]);
      sink.knownTopics.add(sink.schemasTopic).add(sink.offsetsTopic);
      sink.producer = await sink.openProducer();
    } catch (error) {
      await admin.disconnect().catch(() => undefined);
      throw toKafkaError(`starting the Kafka sink of source '${options.source}' failed`, error);
    }
    return sink;
  }

  /**
   * The source's last committed position, or undefined on a first start. Read
   * it after create() (which aborted what an earlier instance left open) and
   * again after abort() recovered from a failure.
   */
  loadPosition(): Promise<SourcePosition | undefined> {
    // Classified like every other Kafka failure of the sink: a broker that is
    // down is worth waiting for, so connectors retry instead of giving up.
    return readLastPosition({
      kafka: this.options.kafka,
      prefix: this.options.prefix,
      name: this.options.source,
    }).catch((error: unknown) => {
      throw toKafkaError(`reading the stored position of source '${this.options.source}'`, error);
    });
  }

  get stats(): Readonly<KafkaChangeSinkStats> {
    return { ...this.counters };
  }

  /**
   * Adds a change to the current source transaction. Returns a promise (await
   * it before reading more) when a chunk is being sent or too much is queued.
   * Throws a RowkubeError (ROWKUBE_ERR_UNSUPPORTED_TYPE) when the change cannot
   * be encoded; the sink is then failed until abort().
   */
  append(change: RowChange): Promise<void> | undefined {
    if (this.failure !== undefined || this.closed) return Promise.reject(this.failure ?? closedError());
    this.raw.push(change);
    this.rawStartedAt ??= this.now();
    if (this.raw.length >= this.chunkSize) return this.spill();
    return this.backpressure();
  }

  /**
   * Ends the current source transaction. Resolves once the Kafka transaction
   * holding its changes and its position is committed; rejects with a
   * retriable ROWKUBE_ERR_KAFKA when that transaction failed (nothing of it is
   * visible to read_committed consumers; call abort(), then resume from
   * readLastPosition). Do not wait for it before appending the next transaction when
   * throughput matters: commits resolve in order.
   */
  commit(info: CommitInfo): Promise<void> {
    if (this.failure !== undefined || this.closed) return Promise.reject(this.failure ?? closedError());
    const startedAt = this.rawStartedAt ?? this.now();
    let messages: Outgoing[];
    try {
      messages = this.encodeAll(this.raw, {
        snapshot: info.snapshot ?? false,
        ...(info.txId === undefined ? {} : { txId: info.txId }),
        position: info.position,
        tsMs: info.commitTsMs,
      });
    } catch (error) {
      return Promise.reject(this.failNow(error));
    }
    const group = this.group;
    group.urgent ||= this.rawSpilled;
    group.startedAt ??= startedAt;
    this.raw = [];
    this.rawStartedAt = undefined;
    this.rawSpilled = false;

    const done = deferred();
    group.commits.push({ position: info.position, done });
    group.messages.push(...messages);
    for (const m of messages) if (m.topic !== this.schemasTopic) group.events += 1;
    if (group.urgent || group.events >= this.maxBatch) {
      // Full, or a spilled transaction waits for this commit: close the
      // group now, even while the queue is busy, so it cannot keep growing.
      this.sealGroup();
    } else if (group.messages.length >= this.chunkSize) {
      // Send what is ready in chunks; the group's Kafka transaction stays open.
      this.queue.push({ kind: 'send', messages: group.messages.splice(0) });
    }
    this.kick();
    return done.promise;
  }

  /** Commits what has been committed by the source so far without waiting for lingerMs. */
  async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const last = this.group.commits[this.group.commits.length - 1];
    if (last !== undefined) this.group.urgent = true;
    this.kick();
    const inQueue = this.queue.flatMap((item) => (item.kind === 'commit' ? item.commits : []));
    const current = this.current?.kind === 'commit' ? this.current.commits : [];
    const waits = [...current, ...inQueue, ...(last === undefined ? [] : [last])].map((c) => c.done.promise);
    await Promise.all(waits);
  }

  /**
   * Discards the changes appended since the last commit() (the connection to
   * the database was lost inside a transaction, which will be read again).
   * Earlier commits are unaffected. Part of the transaction already sent is
   * aborted in Kafka, so nothing of it ever reaches read_committed consumers.
   *
   * After a failure it also makes the sink usable again, with a fresh producer;
   * the connector then resumes from the stored position (readLastPosition).
   * Throws when that is impossible: another instance took over the source.
   */
  async abort(): Promise<void> {
    if (this.closed) throw closedError();
    this.raw = [];
    this.rawStartedAt = undefined;
    if (this.failure !== undefined) return this.recover();
    if (!this.rawSpilled) return;
    this.rawSpilled = false;
    // In queue order: after the chunks already queued for sending.
    const done = deferred();
    this.queue.push({ kind: 'abort', done });
    this.kick();
    await done.promise;
  }

  /** After a failure: everything pending was rejected; start over with a new producer. */
  private async recover(): Promise<void> {
    this.halted = true;
    await this.pumping;
    const failure = this.failure;
    if (this.fenced && failure !== undefined) throw failure;
    this.rawSpilled = false;
    this.publisher = new SchemaPublisher(this.schemasTopic);
    // kafkajs's transaction state cannot be trusted after a failure. A new
    // producer re-initialises the transactional id, which also makes the
    // coordinator abort whatever the old one left open.
    const old = this.producer;
    this.producer = undefined;
    this.tx = undefined;
    await old?.disconnect().catch(() => undefined);
    try {
      this.producer = await this.openProducer();
    } catch (error) {
      this.halted = false;
      throw toKafkaError(`restarting the Kafka producer of source '${this.options.source}' failed`, error);
    }
    this.failure = undefined;
    this.halted = false;
  }

  /**
   * Commits what the source committed, aborts a source transaction left half
   * appended, and disconnects. Pending commit() promises settle first.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.failure === undefined) {
      await this.flush().catch(() => undefined);
    }
    this.closed = true;
    this.halted = true;
    await this.pumping;
    this.rejectAll(closedError());
    if (this.tx !== undefined) await this.tx.abort().catch(() => undefined);
    this.tx = undefined;
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }

  private openProducer(): Promise<Producer> {
    return openTransactionalProducer(this.options.kafka, {
      transactionalId: captureTransactionalId(this.options.source),
      transactionTimeoutMs: this.options.transactionTimeoutMs ?? 600_000,
      ...(this.options.retries !== undefined ? { retries: this.options.retries } : {}),
    });
  }

  /** Encodes changes, preceded by the schema records not yet published. */
  private encodeAll(changes: readonly RowChange[], context: SourceContext): Outgoing[] {
    const out: Outgoing[] = [];
    for (const change of changes) {
      const encoded = this.encoder.encode(change, context);
      for (const record of this.publisher.recordsFor(encoded.schemas))
        out.push({ topic: this.schemasTopic, ...record });
      for (const m of encoded.messages) out.push(m);
    }
    return out;
  }

  /** Sends a chunk of the current (uncommitted) source transaction into the open Kafka transaction. */
  private spill(): Promise<void> {
    let messages: Outgoing[];
    try {
      // The commit is not known yet: no position or txId, and the time the
      // transaction was first seen stands in for its commit time.
      messages = this.encodeAll(this.raw, { snapshot: false, tsMs: this.rawStartedAt ?? this.now() });
    } catch (error) {
      return Promise.reject(this.failNow(error));
    }
    this.raw = [];
    this.rawSpilled = true;
    // The Kafka transaction that receives the chunk must not commit before the
    // source transaction does, so the group before it is committed first.
    this.sealGroup();
    const done = deferred();
    this.queue.push({ kind: 'send', messages, done });
    this.kick();
    return done.promise;
  }

  private backpressure(): Promise<void> | undefined {
    if (this.queuedMessages() < Math.max(this.maxBatch, 2 * this.chunkSize)) return undefined;
    const waiter = deferred();
    this.drainWaiters.push(waiter);
    this.kick();
    return waiter.promise;
  }

  private sealGroup(): void {
    const group = this.group;
    this.group = emptyGroup(this.rawStartedAt);
    if (group.commits.length === 0) return;
    this.queue.push({ kind: 'commit', commits: group.commits, messages: group.messages });
  }

  private groupDue(): boolean {
    const g = this.group;
    if (g.commits.length === 0) return false;
    return g.urgent || g.events >= this.maxBatch || this.now() - (g.startedAt ?? 0) >= this.lingerMs;
  }

  private kick(): void {
    if (this.pumping !== undefined || this.failure !== undefined || this.halted) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      this.releaseDrainWaiters();
      this.armTimer();
    });
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.failure !== undefined || this.halted) return;
    if (this.queue.length > 0 || this.groupDue()) {
      this.kick();
      return;
    }
    if (this.group.commits.length === 0) return;
    const wait = Math.max(0, (this.group.startedAt ?? this.now()) + this.lingerMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, wait);
  }

  private async pump(): Promise<void> {
    try {
      while (!this.halted && this.failure === undefined) {
        const item = this.queue.shift();
        if (item === undefined) {
          if (!this.groupDue()) return;
          this.sealGroup();
          continue;
        }
        this.current = item;
        if (item.kind === 'send') {
          await this.send(item.messages);
          item.done?.resolve();
        } else if (item.kind === 'abort') {
          await this.abortTransaction();
          item.done.resolve();
        } else {
          const last = item.commits[item.commits.length - 1] as PendingCommit;
          const { key, value } = positionRecord(this.options.source, last.position);
          await this.send([...item.messages, { topic: this.offsetsTopic, key, value }]);
          await this.commitTransaction();
          this.counters.commits += item.commits.length;
          for (const c of item.commits) c.done.resolve();
        }
        this.current = undefined;
        this.releaseDrainWaiters();
      }
    } catch (error) {
      await this.fail(error, true);
    }
  }

  private async send(messages: Outgoing[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const { topic, ...message } of messages) {
      const list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, [message]);
      else list.push(message);
    }
    await this.ensureTopics([...byTopic.keys()]);
    const producer = this.producer;
    if (producer === undefined)
      throw new RowkubeError(ErrorCode.KAFKA, 'the producer is not connected', true);
    this.tx ??= await producer.transaction();
    await this.tx.sendBatch({
      topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })),
    });
    for (const [topic, list] of byTopic) {
      if (topic !== this.schemasTopic && topic !== this.offsetsTopic) this.counters.events += list.length;
    }
  }

  private async commitTransaction(): Promise<void> {
    const tx = this.tx;
    if (tx === undefined) return;
    await tx.commit();
    this.tx = undefined;
    this.counters.transactions += 1;
  }

  private async abortTransaction(): Promise<void> {
    const tx = this.tx;
    if (tx === undefined) return;
    this.tx = undefined;
    await tx.abort();
    // Schema records sent in the aborted transaction are gone: publish anew.
    this.publisher = new SchemaPublisher(this.schemasTopic);
  }

  /** Creates change topics the first time the sink writes to them. */
  private async ensureTopics(topics: string[]): Promise<void> {
    const missing = topics.filter((t) => !this.knownTopics.has(t));
    if (missing.length === 0) return;
    await ensureTopics(
      this.admin,
      missing.map((name) => ({
        name,
        kind: 'change' as const,
        ...(this.options.partitions === undefined ? {} : { partitions: this.options.partitions }),
        ...(this.options.replicationFactor === undefined
          ? {}
          : { replicationFactor: this.options.replicationFactor }),
      })),
    );
    for (const t of missing) this.knownTopics.add(t);
  }

  /** An encoding error: the source transaction cannot be delivered, so the sink fails like on a Kafka error. */
  private failNow(error: unknown): RowkubeError {
    const failure =
      error instanceof RowkubeError ? error : new RowkubeError(ErrorCode.UNSUPPORTED_TYPE, String(error));
    void this.fail(failure, this.pumping === undefined);
    return failure;
  }

  /**
   * Rejects everything pending and stops the pump. `abortNow` is false while
   * the pump is inside a Kafka call: aborting concurrently would confuse
   * kafkajs, and the open transaction is aborted by recovery or close anyway.
   */
  private async fail(error: unknown, abortNow: boolean): Promise<void> {
    if (this.failure !== undefined) return;
    const failure = toKafkaError(`Kafka transaction of source '${this.options.source}' failed`, error);
    this.failure = failure;
    this.fenced = isFenced(error);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.rejectAll(failure);
    this.options.logger?.error({ source: this.options.source, err: failure }, 'Kafka sink failed');
    // Best effort: a broker that is gone cannot be told; the transaction then
    // times out, or the next producer for this source aborts it.
    if (!abortNow) return;
    const tx = this.tx;
    this.tx = undefined;
    if (tx?.isActive()) await tx.abort().catch(() => undefined);
  }

  private rejectAll(reason: RowkubeError): void {
    const items = this.current === undefined ? [...this.queue] : [this.current, ...this.queue];
    this.current = undefined;
    this.queue.length = 0;
    for (const item of items) {
      if (item.kind === 'commit') for (const c of item.commits) c.done.reject(reason);
      else item.done?.reject(reason);
    }
    for (const c of this.group.commits) c.done.reject(reason);
    this.group = emptyGroup(undefined);
    for (const w of this.drainWaiters.splice(0)) w.reject(reason);
  }

  private releaseDrainWaiters(): void {
    if (this.drainWaiters.length === 0) return;
    if (this.queuedMessages() < Math.max(this.maxBatch, 2 * this.chunkSize)) {
      for (const w of this.drainWaiters.splice(0)) w.resolve();
    }
  }

  private queuedMessages(): number {
    let queued = this.group.messages.length;
    for (const item of this.queue) if (item.kind !== 'abort') queued += item.messages.length;
    return queued;
  }
}

function emptyGroup(startedAt: number | undefined): Group {
  return { commits: [], messages: [], events: 0, startedAt, urgent: false };
}

function closedError(): RowkubeError {
  return new RowkubeError(ErrorCode.KAFKA, 'the Kafka sink is closed', false);
}
