import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import {
  captureTransactionalId,
  offsetsTopic,
  schemaHistoryTopic,
  schemasTopic,
  tableLabel,
} from '../contracts/index.js';
import type {
  ChangeSink,
  CommitInfo,
  RowChange,
  SchemaVersion,
  SourcePosition,
  TableSchema,
} from '../core/change-event.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { ChangeEncoder, type SourceContext } from './change-encoder.js';
import { type Deferred, deferred } from './deferred.js';
import { toKafkaError } from './kafka-errors.js';
import { positionRecord, readLastPosition } from './offset-store.js';
import { readSchemaHistory, schemaHistoryRecord } from './schema-history-store.js';
import { SchemaPublisher } from './schema-registry.js';
import { ensureTopics } from './topics.js';
import { type Encoded, type GrouperAction, TransactionGrouper } from './transaction-grouper.js';
import { CAPTURE_TRANSACTION_TIMEOUT_MS } from './transactional-producer.js';
import { type OutgoingRecord, TransactionalWriter } from './transactional-writer.js';
import { TRUNCATE_KEY_SCHEMA } from './truncate-key.js';
import { EMBEDDED_WIRE_FORMAT, type TopicSchema, type WireFormat } from './wire-format.js';

// Delivers a connector's stream to Kafka with transactions: the change events
// of a source transaction and the position after it become visible to
// read_committed consumers together, or not at all.
//
// A thin facade over two parts:
// - TransactionGrouper (pure) decides which source transactions share a Kafka
//   transaction and when it ends: groups of commits (lingerMs, maxBatch),
//   chunks of a big source transaction sent before its commit, and never a
//   Kafka commit inside a source transaction.
// - TransactionalWriter owns the transactional producer and runs the sends,
//   commits and aborts in one ordered queue; a Kafka failure fails it until
//   abort() restarts it.
// This class encodes changes (with their schema records), hands the grouper's
// decisions to the writer, runs the linger timer, pushes back on append() and
// keeps the promises and counters of the ChangeSink contract.

export interface KafkaChangeSinkOptions {
  /** A kafkajs client, e.g. from createKafka(). */
  kafka: Kafka;
  /** Topic prefix (`kafka.topicPrefix`). */
  prefix: string;
  /** The source's configured name: the transactional id is `rowkube-capture-<prefix>-<source>`, the `_offsets` key is the name. */
  source: string;
  /** Messages per produce request inside a transaction; a big source transaction holds about this many in memory. Default 500. */
  chunkSize?: number;
  /** Commit a Kafka transaction once it has been open this long. Default 5 ms. */
  lingerMs?: number;
  /** Commit a Kafka transaction once it holds this many events, even before lingerMs. Default 10,000. */
  maxBatch?: number;
  /**
   * Broker-side limit on an open Kafka transaction, after which the broker
   * aborts it. It bounds one source transaction (a snapshot commits in chunks,
   * so it bounds one chunk). Default 600,000 ms (CAPTURE_TRANSACTION_TIMEOUT_MS); must not exceed the broker's
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
  /** Clock for the envelopes' ts_ms and for lingerMs. */
  now?: () => number;
  /** How records go out (wire-format.ts); default embedded: schemas in `<prefix>._schemas`. */
  wire?: WireFormat;
  /**
   * The schema registry refused a table's schema (ROWKUBE_ERR_SCHEMA_REFUSED):
   * the table's changes are no longer written until a restart; the other
   * tables go on. Called once per table, after the error was logged.
   */
  onTableStopped?: (table: string, error: RowkubeError) => void;
  /** The source's `tables` as configured, so that the stopped-table message names the table as `rowkube snapshot --table` wants it. */
  tables?: readonly string[];
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

type Action = GrouperAction<OutgoingRecord, Deferred>;

export class KafkaChangeSink implements ChangeSink {
  private readonly maxQueued: number;
  private readonly now: () => number;
  private readonly encoder: ChangeEncoder;
  private readonly schemasTopic: string;
  private readonly offsetsTopic: string;
  private readonly historyTopic: string;
  /** Schema-history entries of the open source transaction: written with its commit. */
  private pendingSchemas: SchemaVersion[] = [];
  private readonly knownTopics = new Set<string>();
  private readonly counters: KafkaChangeSinkStats = { events: 0, commits: 0, transactions: 0 };
  /** Changes not written because their table is stopped (its schema was refused). */
  private skipped = 0;
  private readonly wire: WireFormat;
  /** Tables whose schema the registry refused, with the refusal: their changes are dropped until a restart. */
  private readonly stoppedTables = new Map<string, RowkubeError>();
  private readonly grouper: TransactionGrouper<RowChange, OutgoingRecord, Deferred>;
  private readonly writer: TransactionalWriter;
  /** Schema records already in Kafka (or on their way in an open transaction): replaced when that may no longer hold. */
  private publisher: SchemaPublisher;
  /** Ticks the grouper when a group's linger ends while the writer is idle. */
  private timer: NodeJS.Timeout | undefined;
  /** append() calls pushed back until the queue has room. */
  private drainWaiters: Deferred[] = [];
  /** The latest commit(): commits resolve in order, so flush() waits for this one. */
  private lastCommit: Deferred | undefined;

  private constructor(
    private readonly options: KafkaChangeSinkOptions,
    private readonly admin: Admin,
  ) {
    const chunkSize = options.chunkSize ?? 500;
    const maxBatch = options.maxBatch ?? 10_000;
    this.maxQueued = Math.max(maxBatch, 2 * chunkSize);
    this.now = options.now ?? Date.now;
    this.encoder = new ChangeEncoder({ prefix: options.prefix, now: this.now });
    this.wire = options.wire ?? EMBEDDED_WIRE_FORMAT;
    this.schemasTopic = schemasTopic(options.prefix);
    this.offsetsTopic = offsetsTopic(options.prefix);
    this.historyTopic = schemaHistoryTopic(options.prefix);
    this.publisher = new SchemaPublisher(this.schemasTopic);
    this.grouper = new TransactionGrouper({
      chunkSize,
      maxBatch,
      lingerMs: options.lingerMs ?? 5,
      encode: (changes, context) => this.encode(changes, context),
    });
    this.writer = new TransactionalWriter({
      kafka: options.kafka,
      label: `source '${options.source}'`,
      transactionalId: captureTransactionalId(options.prefix, options.source),
      transactionTimeoutMs: options.transactionTimeoutMs ?? CAPTURE_TRANSACTION_TIMEOUT_MS,
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      prepareTopics: (topics) => this.ensureChangeTopics(topics),
      events: {
        progressed: () => this.releaseDrainWaiters(),
        drained: () => this.writerIdle(),
        failed: (failure) => this.failed(failure),
      },
    });
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
        { name: sink.historyTopic, kind: 'history', replicationFactor },
      ]);
      sink.knownTopics.add(sink.schemasTopic).add(sink.offsetsTopic).add(sink.historyTopic);
      await sink.writer.connect();
    } catch (error) {
      await sink.writer.close();
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

  /**
   * The source's committed schema history (recordSchema), in the order it was
   * recorded. Read it, like the position, after create() and after abort().
   */
  loadSchemaHistory(): Promise<SchemaVersion[]> {
    return readSchemaHistory({
      kafka: this.options.kafka,
      prefix: this.options.prefix,
      source: this.options.source,
    }).catch((error: unknown) => {
      if (error instanceof RowkubeError && !error.retriable) throw error;
      throw toKafkaError(`reading the schema history of source '${this.options.source}'`, error);
    });
  }

  /**
   * Adds a table definition to the schema history, in force from
   * `version.position` on. It is written with the current source
   * transaction's commit, in the same Kafka transaction as its position, and
   * dropped by abort() like the changes appended.
   */
  recordSchema(version: SchemaVersion): void {
    this.pendingSchemas.push(version);
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
    const unusable = this.unusable();
    if (unusable !== undefined) return Promise.reject(unusable);
    const label = tableLabel(change.table);
    if (this.stoppedTables.has(label)) {
      this.skipped += 1;
      return undefined;
    }
    let registering: Promise<void> | undefined;
    try {
      registering = this.prepareSchemas(change, label);
    } catch (error) {
      return Promise.reject(this.failNow(error));
    }
    if (registering === undefined) return this.appendPrepared(change);
    return registering.then(
      () => this.appendPrepared(change),
      (error: unknown) => {
        if (error instanceof RowkubeError && error.code === ErrorCode.SCHEMA_REFUSED) {
          this.stopTable(change.table, error);
          this.skipped += 1;
          return undefined;
        }
        throw this.failNow(error);
      },
    );
  }

  /** Tables stopped because the registry refused their schema, with the error. */
  get stopped(): ReadonlyMap<string, RowkubeError> {
    return this.stoppedTables;
  }

  /** Changes of stopped tables that were not written. */
  get skippedChanges(): number {
    return this.skipped;
  }

  private appendPrepared(change: RowChange): Promise<void> | undefined {
    const unusable = this.unusable();
    if (unusable !== undefined) return Promise.reject(unusable);
    let actions: Action[];
    try {
      actions = this.grouper.append(change, this.now());
    } catch (error) {
      return Promise.reject(this.failNow(error));
    }
    // A spilled chunk: the caller waits until it is sent.
    if (actions.length > 0) return this.perform(actions);
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
    const unusable = this.unusable();
    if (unusable !== undefined) return Promise.reject(unusable);
    const done = deferred();
    let actions: Action[];
    try {
      actions = this.grouper.commit(info, done, this.now());
    } catch (error) {
      return Promise.reject(this.failNow(error));
    }
    this.lastCommit = done;
    this.perform(actions);
    if (!this.writer.busy) this.writerIdle();
    return done.promise;
  }

  /** Commits what has been committed by the source so far without waiting for lingerMs. */
  async flush(): Promise<void> {
    const failure = this.writer.failure;
    if (failure !== undefined) throw failure;
    this.grouper.expedite();
    if (!this.writer.busy) this.writerIdle();
    await this.lastCommit?.promise;
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
    if (this.writer.state === 'closed') throw closedError();
    this.pendingSchemas = [];
    const actions = this.grouper.abort();
    if (this.writer.failure !== undefined) return this.recover();
    if (actions.length === 0) return;
    // Schema records sent in the aborted transaction are gone: publish anew.
    this.publisher = new SchemaPublisher(this.schemasTopic);
    await this.perform(actions);
  }

  /**
   * Commits what the source committed, aborts a source transaction left half
   * appended, and disconnects. Pending commit() promises settle first.
   */
  async close(): Promise<void> {
    if (this.writer.state === 'closed') return;
    if (this.writer.failure === undefined) {
      await this.flush().catch(() => undefined);
    }
    this.stopTimer();
    await this.writer.close();
    this.rejectPending(closedError());
    await this.admin.disconnect().catch(() => undefined);
  }

  // Not used here: test/integration/kafka-change-sink.test.ts reaches for it
  // to simulate a lost connection.
  private get producer(): Producer | undefined {
    return this.writer.producer;
  }

  /** After a failure: everything pending was rejected; start over with a new producer. */
  private async recover(): Promise<void> {
    this.publisher = new SchemaPublisher(this.schemasTopic);
    this.lastCommit = undefined;
    await this.writer.restart();
  }

  /**
   * Makes the change's schemas known to the wire format before the change is
   * queued: with a registry that is a registration (async, once per schema
   * version), and a refusal stops this table only, not the source.
   */
  private prepareSchemas(change: RowChange, label: string): Promise<void> | undefined {
    if (this.wire.kind === 'embedded') return undefined;
    const { topic, keySchema, valueSchema } = this.encoder.describe(change.table);
    const schemas: TopicSchema[] = [
      change.op === 't'
        ? { part: 'truncate-key', schema: TRUNCATE_KEY_SCHEMA }
        : { part: 'key', schema: keySchema },
      { part: 'value', schema: valueSchema },
    ];
    return this.wire.prepare(topic, schemas, `table ${label}`);
  }

  private stopTable(table: TableSchema, error: RowkubeError): void {
    const label = tableLabel(table);
    if (this.stoppedTables.has(label)) return;
    // As the source's `tables` names it, which is what `rowkube snapshot --table` matches.
    const qualified = `${table.schema ?? table.database}.${table.table}`;
    const configured = this.options.tables?.find((t) => t === qualified || t === table.table) ?? qualified;
    this.stoppedTables.set(label, error);
    this.options.logger?.error(
      { source: this.options.source, table: label, action: 'table-stopped', err: error },
      `capture of table ${label} stopped: its changes are not written until rowkube restarts. ` +
        `Fix the subject's compatibility or the table, restart, then re-read it with \`rowkube snapshot --source ${this.options.source} --table ${configured}\``,
    );
    this.options.onTableStopped?.(label, error);
  }

  /** Encodes changes, each preceded by the schema records not yet published. */
  private encode(changes: readonly RowChange[], context: SourceContext): Encoded<OutgoingRecord> {
    const messages: OutgoingRecord[] = [];
    let events = 0;
    for (const change of changes) {
      const encoded = this.encoder.encode(change, context);
      for (const record of this.publisher.recordsFor(encoded.schemas))
        messages.push({ topic: this.schemasTopic, ...record });
      for (const m of encoded.messages) messages.push(m);
      events += encoded.messages.length;
    }
    // At the commit (a spilled chunk has no position yet): the history
    // entries of the source transaction go into its Kafka transaction.
    if (context.position !== undefined && this.pendingSchemas.length > 0) {
      for (const version of this.pendingSchemas.splice(0))
        messages.push({ topic: this.historyTopic, ...schemaHistoryRecord(version) });
    }
    // The wire format frames what the connector's table schemas registered in append().
    return { messages: this.wire.encode(messages), events };
  }

  /** Hands the grouper's decisions to the writer, in order; returns when the last send or abort is done. */
  private perform(actions: Action[]): Promise<void> | undefined {
    let last: Promise<void> | undefined;
    for (const action of actions) {
      if (action.kind === 'send') {
        last = this.send(action.messages);
      } else if (action.kind === 'abort') {
        last = this.writer.abortTransaction();
      } else {
        const { key, value } = positionRecord(this.options.source, action.position);
        action.messages.push({ topic: this.offsetsTopic, key, value });
        // A failed send fails the writer, which rejects the commit below too.
        void this.send(action.messages);
        const { tickets } = action;
        this.writer.commit().then(
          () => {
            this.counters.commits += tickets.length;
            this.counters.transactions += 1;
            for (const t of tickets) t.resolve();
          },
          (error: RowkubeError) => {
            for (const t of tickets) t.reject(error);
          },
        );
      }
    }
    return last;
  }

  /** Sends records into the open Kafka transaction; counts the change events among them once sent. */
  private send(records: OutgoingRecord[]): Promise<void> {
    let events = 0;
    for (const r of records)
      if (r.topic !== this.schemasTopic && r.topic !== this.offsetsTopic && r.topic !== this.historyTopic)
        events += 1;
    const done = deferred();
    this.writer.send(records).then(
      () => {
        this.counters.events += events;
        done.resolve();
      },
      (error: RowkubeError) => done.reject(error),
    );
    return done.promise;
  }

  /**
   * The writer has nothing queued: commit the group if it is due, or wake up
   * when it will be. Groups are not committed while the writer is busy, so
   * that source commits arriving meanwhile share the next Kafka transaction.
   */
  private writerIdle(): void {
    this.releaseDrainWaiters();
    if (this.unusable() !== undefined) return;
    this.perform(this.grouper.tick(this.now()));
    const dueAt = this.writer.busy ? undefined : this.grouper.dueAt;
    this.stopTimer();
    if (dueAt === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (!this.writer.busy) this.writerIdle();
      },
      Math.max(0, dueAt - this.now()),
    );
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private backpressure(): Promise<void> | undefined {
    if (this.queuedRecords() < this.maxQueued) return undefined;
    const waiter = deferred();
    this.drainWaiters.push(waiter);
    if (!this.writer.busy) this.writerIdle();
    return waiter.promise;
  }

  private releaseDrainWaiters(): void {
    if (this.drainWaiters.length === 0 || this.queuedRecords() >= this.maxQueued) return;
    for (const w of this.drainWaiters.splice(0)) w.resolve();
  }

  private queuedRecords(): number {
    return this.grouper.pendingMessages + this.writer.queuedRecords;
  }

  /** Creates change topics the first time the sink writes to them. */
  private async ensureChangeTopics(topics: string[]): Promise<void> {
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
    this.writer.fail(failure);
    return failure;
  }

  /** The writer failed: what waits outside it is rejected too, until abort(). */
  private failed(failure: RowkubeError): void {
    this.stopTimer();
    this.lastCommit = undefined;
    this.rejectPending(failure);
    // A retriable failure (the broker away) is the caller's to report: the
    // capture loop logs one warn line per attempt and waits it out. One that
    // retrying cannot fix (fenced) is an error here too.
    const log = { source: this.options.source, err: failure };
    if (failure.retriable) this.options.logger?.debug(log, 'Kafka sink failed');
    else this.options.logger?.error(log, 'Kafka sink failed');
  }

  private rejectPending(reason: RowkubeError): void {
    this.pendingSchemas = [];
    const tickets = this.grouper.reset();
    // After the commits already in the writer, whose rejections are queued:
    // commit() promises settle in call order, failures too.
    queueMicrotask(() => {
      for (const ticket of tickets) ticket.reject(reason);
    });
    for (const w of this.drainWaiters.splice(0)) w.reject(reason);
  }

  /** Why calls are refused: the failure until abort(), or the sink is closed. */
  private unusable(): RowkubeError | undefined {
    if (this.writer.state === 'closed') return closedError();
    return this.writer.failure;
  }
}

function closedError(): RowkubeError {
  return new RowkubeError(ErrorCode.KAFKA, 'the Kafka sink is closed', false);
}
