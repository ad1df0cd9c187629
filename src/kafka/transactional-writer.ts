import type { Kafka, Message, Producer, TopicMessages, Transaction } from 'kafkajs';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { type Deferred, deferred } from './deferred.js';
import { isFenced, toKafkaError } from './kafka-errors.js';
import { openTransactionalProducer, type TransactionalProducerOptions } from './transactional-producer.js';

// Owns one kafkajs transactional producer and runs its work in one ordered
// queue: kafkajs allows one open transaction per producer, and the order of
// sends is the order of the records in Kafka. What goes into which Kafka
// transaction is the caller's decision (TransactionGrouper); this only sends,
// commits and aborts, and turns a failure into a state that rejects every
// call until restart().

/** A Kafka message and the topic it goes to. */
export type OutgoingRecord = Message & { topic: string };

/** Called synchronously, from inside the writer. */
export interface TransactionalWriterEvents {
  /** A job finished: the queue has room again. */
  progressed?(): void;
  /** The queue ran empty and no Kafka call is in flight: the moment to hand over the next commit. */
  drained?(): void;
  /** The writer failed: every queued job was rejected with `failure`. */
  failed?(failure: RowkubeError): void;
}

export interface TransactionalWriterOptions extends TransactionalProducerOptions {
  kafka: Kafka;
  /** Names the writer in errors, e.g. "source 'appdb'". */
  label: string;
  /** Runs in queue order before records are sent: creates the topics that do not exist yet. */
  prepareTopics?: (topics: string[]) => Promise<void>;
  events?: TransactionalWriterEvents;
}

type WriterState =
  /** No producer yet: connect() has not finished. */
  | { state: 'connecting' }
  /** Ready; no Kafka transaction is open. */
  | { state: 'idle'; producer: Producer }
  /** A Kafka transaction is open and holds records sent so far. */
  | { state: 'open'; producer: Producer; tx: Transaction }
  /** EndTxn is in flight. */
  | { state: 'committing'; producer: Producer; tx: Transaction }
  /**
   * A Kafka call failed, or the caller gave up (fail()): every call rejects
   * with `failure` until restart() replaces the producer. `fenced`: another
   * producer took over the transactional id, which no restart fixes.
   */
  | { state: 'failed'; failure: RowkubeError; fenced: boolean; producer: Producer | undefined }
  | { state: 'closed' };

export type WriterStateName = WriterState['state'];

type LiveState = Extract<WriterState, { state: 'idle' | 'open' | 'committing' }>;

type Job =
  | { kind: 'send'; records: OutgoingRecord[]; done: Deferred }
  | { kind: 'commit'; done: Deferred }
  | { kind: 'abort'; done: Deferred };

export class TransactionalWriter {
  private current: WriterState = { state: 'connecting' };
  private readonly queue: Job[] = [];
  /** The job whose Kafka calls are in flight. */
  private inFlight: Job | undefined;
  /** The queue runner (or a lone abort after fail()); restart() and close() wait for it. */
  private running: Promise<void> | undefined;

  constructor(private readonly options: TransactionalWriterOptions) {}

  get state(): WriterStateName {
    return this.current.state;
  }

  /** True while the queue runner works: sends, commits, aborts or topic creation in flight. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Set while failed: what every call rejects with until restart(). */
  get failure(): RowkubeError | undefined {
    return this.current.state === 'failed' ? this.current.failure : undefined;
  }

  /** The producer in use, if any. */
  get producer(): Producer | undefined {
    const s = this.current;
    return s.state === 'connecting' || s.state === 'closed' ? undefined : s.producer;
  }

  /** Records waiting in the queue (not counting the job in flight). */
  get queuedRecords(): number {
    let queued = 0;
    for (const job of this.queue) if (job.kind === 'send') queued += job.records.length;
    return queued;
  }

  /**
   * Opens the producer and takes over the transactional id: an older producer
   * with the same id is fenced off and its open transaction aborted.
   */
  async connect(): Promise<void> {
    if (this.current.state !== 'connecting') return;
    const producer = await this.openProducer();
    if (this.current.state !== 'connecting') {
      await producer.disconnect().catch(() => undefined);
      return;
    }
    this.current = { state: 'idle', producer };
  }

  /** Sends records into the open Kafka transaction, opening one if none is. */
  send(records: OutgoingRecord[]): Promise<void> {
    return this.enqueue({ kind: 'send', records, done: deferred() });
  }

  /** Commits the open Kafka transaction (nothing to do when none is open). */
  commit(): Promise<void> {
    return this.enqueue({ kind: 'commit', done: deferred() });
  }

  /** Aborts the open Kafka transaction, after the jobs queued before. */
  abortTransaction(): Promise<void> {
    return this.enqueue({ kind: 'abort', done: deferred() });
  }

  /**
   * Fails the writer from outside (the caller cannot go on, e.g. a change it
   * cannot encode): rejects everything queued. A Kafka call in flight is left
   * to finish; its transaction is aborted after it, never concurrently, which
   * would confuse kafkajs.
   */
  fail(error: unknown): RowkubeError {
    const s = this.current;
    const failure = this.enterFailed(error);
    if (s.state === 'open' || s.state === 'committing') {
      // After the Kafka call in flight, if any; restart() and close() wait for it.
      const aborting = (this.running ?? Promise.resolve()).then(() => abortIfActive(s.tx));
      this.running = aborting;
      void aborting.finally(() => {
        if (this.running === aborting) this.running = undefined;
      });
    }
    return failure;
  }

  /**
   * After a failure: replaces the producer, which makes the coordinator abort
   * whatever the old one left open, and accepts work again. Throws the
   * failure when another producer took over the transactional id, and a
   * retriable ROWKUBE_ERR_KAFKA when Kafka cannot be reached (the writer then
   * stays failed; call again).
   */
  async restart(): Promise<void> {
    await this.running;
    const s = this.current;
    if (s.state !== 'failed') return;
    if (s.fenced) throw s.failure;
    // kafkajs's transaction state cannot be trusted after a failure.
    this.current = { ...s, producer: undefined };
    await s.producer?.disconnect().catch(() => undefined);
    let producer: Producer;
    try {
      producer = await this.openProducer();
    } catch (error) {
      throw toKafkaError(`restarting the Kafka producer of ${this.options.label} failed`, error);
    }
    if (this.current.state !== 'failed') {
      // Closed meanwhile.
      await producer.disconnect().catch(() => undefined);
      return;
    }
    this.current = { state: 'idle', producer };
  }

  /** Rejects what is queued, aborts an open Kafka transaction and disconnects. */
  async close(): Promise<void> {
    const s = this.current;
    if (s.state === 'closed') return;
    this.current = { state: 'closed' };
    this.rejectAll(
      new RowkubeError(ErrorCode.KAFKA, `the Kafka producer of ${this.options.label} is closed`),
    );
    // Not while a Kafka call is in flight: a run stops after it (and aborts a
    // transaction it opened meanwhile).
    await this.running;
    if (s.state === 'open' || s.state === 'committing') await abortIfActive(s.tx);
    if (s.state !== 'connecting') await s.producer?.disconnect().catch(() => undefined);
  }

  private openProducer(): Promise<Producer> {
    const { transactionalId, transactionTimeoutMs, retries } = this.options;
    return openTransactionalProducer(this.options.kafka, {
      transactionalId,
      transactionTimeoutMs,
      ...(retries === undefined ? {} : { retries }),
    });
  }

  private enqueue(job: Job): Promise<void> {
    const s = this.current;
    if (isLive(s)) {
      this.queue.push(job);
      this.kick();
    } else if (s.state === 'failed') {
      job.done.reject(s.failure);
    } else {
      job.done.reject(
        new RowkubeError(
          ErrorCode.KAFKA,
          `the Kafka producer of ${this.options.label} is ${s.state}`,
          s.state !== 'closed',
        ),
      );
    }
    return job.done.promise;
  }

  private kick(): void {
    if (this.running !== undefined || this.queue.length === 0 || !isLive(this.current)) return;
    const running = this.run().finally(() => {
      if (this.running !== running) return; // fail() took over
      this.running = undefined;
      if (this.queue.length > 0) this.kick();
      else if (isLive(this.current)) this.options.events?.drained?.();
    });
    this.running = running;
  }

  /** Runs queued jobs in order until the queue is empty or the writer stops. Never rejects. */
  private async run(): Promise<void> {
    // The Kafka transaction this run last used: if the writer stops under it
    // (failure, close), it is aborted here, once no Kafka call is in flight.
    let tx: Transaction | undefined;
    for (;;) {
      const s = this.current;
      if (!isLive(s)) break;
      const job = this.queue.shift();
      if (job === undefined) break;
      this.inFlight = job;
      const { producer } = s;
      tx = s.state === 'idle' ? undefined : s.tx;
      try {
        if (job.kind === 'send') {
          if (job.records.length > 0) {
            const topicMessages = byTopic(job.records);
            await this.options.prepareTopics?.(topicMessages.map((t) => t.topic));
            if (tx === undefined) {
              tx = await producer.transaction();
              this.move({ state: 'open', producer, tx });
            }
            await tx.sendBatch({ topicMessages });
          }
        } else if (job.kind === 'commit') {
          if (tx !== undefined) {
            this.move({ state: 'committing', producer, tx });
            await tx.commit();
            tx = undefined;
            this.move({ state: 'idle', producer });
          }
        } else if (tx !== undefined) {
          const open = tx;
          tx = undefined;
          this.move({ state: 'idle', producer });
          await open.abort();
        }
      } catch (error) {
        this.enterFailed(error);
        break;
      }
      this.inFlight = undefined;
      job.done.resolve();
      this.options.events?.progressed?.();
    }
    this.inFlight = undefined;
    // Best effort: a broker that is gone cannot be told; the transaction then
    // times out, or the next producer for this transactional id aborts it.
    if (!isLive(this.current) && tx !== undefined) await abortIfActive(tx);
  }

  /** A transition of the queue runner; a failure or close that happened meanwhile wins. */
  private move(to: LiveState): void {
    if (isLive(this.current)) this.current = to;
  }

  private enterFailed(error: unknown): RowkubeError {
    const s = this.current;
    if (s.state === 'failed') return s.failure;
    const failure = toKafkaError(`Kafka transaction of ${this.options.label} failed`, error);
    if (s.state === 'closed') return failure;
    this.current = {
      state: 'failed',
      failure,
      fenced: isFenced(error),
      producer: s.state === 'connecting' ? undefined : s.producer,
    };
    this.rejectAll(failure);
    this.options.events?.failed?.(failure);
    return failure;
  }

  private rejectAll(reason: RowkubeError): void {
    const jobs =
      this.inFlight === undefined ? this.queue.splice(0) : [this.inFlight, ...this.queue.splice(0)];
    this.inFlight = undefined;
    for (const job of jobs) job.done.reject(reason);
  }
}

/** kafkajs sends a batch per topic. */
function byTopic(records: OutgoingRecord[]): TopicMessages[] {
  const lists = new Map<string, Message[]>();
  for (const { topic, ...message } of records) {
    const list = lists.get(topic);
    if (list === undefined) lists.set(topic, [message]);
    else list.push(message);
  }
  return [...lists].map(([topic, messages]) => ({ topic, messages }));
}

function isLive(s: WriterState): s is LiveState {
  return s.state === 'idle' || s.state === 'open' || s.state === 'committing';
}

async function abortIfActive(tx: Transaction): Promise<void> {
  if (tx.isActive()) await tx.abort().catch(() => undefined);
}
