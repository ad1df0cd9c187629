import { abortableSleep } from '../../src/core/abortable-sleep.js';
// The streaming source: pgoutput from a logical replication slot, through
// pg-logical-replication, onto a ChangeSink — one sink transaction per source
// transaction, acknowledged to the slot only once the sink committed it.
//
// pg-logical-replication's pitfalls and how they are avoided: postgres-pgoutput.ts.

import pg from 'pg';
import { LogicalReplicationService, type Pgoutput } from 'pg-logical-replication';
import type { Logger } from 'pino';
import type { ChangeSink, CommitInfo, SourcePosition, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, isRetriable, RowkubeError } from '../../src/core/errors.js';
import {
  asSourceError,
  clientConfig,
  quoteIdent,
  quoteTable,
  sqlState,
  type TableRef,
  tableLabel,
} from './postgres-connection.js';
import { emitRowChange } from './postgres-emitter.js';
import { formatLsn, type Lsn, parseLsn, parseOffset, serializeOffset } from './postgres-offset.js';
import { acknowledgeLsn, PARSE_FAILURE, TextPgoutputPlugin } from './postgres-pgoutput.js';
import { type SchemaContext, StreamSchemas } from './postgres-schema.js';

/**
 * A sink that can discard the changes appended since its last commit. Needed
 * to reconnect after a connection was lost in the middle of a transaction
 * (PostgreSQL sends the whole transaction again); without it such a loss ends
 * the capture with a retriable error, and whoever restarts it resets the sink.
 * After a retriable sink failure, abort() must also make the sink usable
 * again (KafkaChangeSink does: a Kafka outage fails it until abort()).
 */
export interface AbortableSink extends ChangeSink {
  abort?(): Promise<void> | void;
}

export interface StreamOptions {
  url: string;
  slot: string;
  publication: string;
  tables: readonly TableRef[];
  context: SchemaContext;
  /** Catalog schemas at start, by "schema.table": nullability of columns a later DDL left untouched. */
  initialSchemas: ReadonlyMap<string, TableSchema>;
  sink: AbortableSink;
  /** The stored position: transactions whose commit starts before it were delivered already. */
  startLsn: Lsn;
  /**
   * Reads the sink's stored position. With it and sink.abort, a retriable sink
   * failure (the broker restarting) does not end the stream: the sink is
   * reset and streaming resumes from the position it stored last.
   */
  loadOffset?: () => Promise<SourcePosition | undefined>;
  logger: Logger;
  /** Aborting ends the stream; runStream() then resolves once no sink call is in flight. */
  signal?: AbortSignal;
  /**
   * How often (ms) a status update asks the server for a keepalive, and the
   * least time between two idle position commits (see onKeepalive). Default 10 000.
   */
  heartbeatIntervalMs?: number;
  /** Sink commits that may be pending before the stream waits for them. Default 1000. */
  maxPendingCommits?: number;
  /** Silence (ms) from the server, with nothing in flight, after which the connection counts as lost. Default 60 000. */
  idleTimeoutMs?: number;
  /** Reconnect backoff (ms): doubles from initialDelayMs to maxDelayMs. Defaults 500 and 30 000. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Told when a connection starts streaming (true) and when it ended (false): readiness. */
  onStreaming?: ((streaming: boolean) => void) | undefined;
}

/** What one connection attempt hands to the next. */
interface StreamProgress {
  /** The last position stored by the sink and acknowledged to the slot. */
  acked: Lsn;
  lastIdleCommitAt: number;
}

/**
 * Streams until `signal` aborts (resolves) or a failure that reconnecting
 * cannot fix (rejects): sink errors that are not retriable (or any, when the
 * sink cannot be reset: no abort or loadOffset), misconfiguration, a
 * connection lost inside a transaction when the sink cannot abort. Lost
 * connections are retried with backoff; each new connection resumes at the
 * last acknowledged position (the slot keeps everything after it). A
 * retriable sink failure is retried the same way once the sink is reset.
 */
export async function runStream(options: StreamOptions): Promise<void> {
  const { logger, signal } = options;
  const initialDelay = options.reconnect?.initialDelayMs ?? 500;
  const maxDelay = options.reconnect?.maxDelayMs ?? 30_000;
  const progress: StreamProgress = { acked: options.startLsn, lastIdleCommitAt: 0 };
  let delay = initialDelay;
  // Set after a retriable sink failure: the sink rejects every call until it
  // is reset, so no session may start before resetSink() succeeded.
  let sinkNeedsReset = false;
  for (;;) {
    if (signal?.aborted) return;
    if (sinkNeedsReset) {
      try {
        await resetSink(options, progress);
        sinkNeedsReset = false;
        logger.info(
          { action: 'sink-reset', position: formatLsn(progress.acked) },
          'sink is back; resuming from its stored position',
        );
      } catch (error) {
        if (signal?.aborted) return;
        if (!isRetriable(error)) throw error;
        // The broker may still be down: the reset is retried like a reconnect.
        logger.warn(
          { err: error, action: 'sink-reset', delayMs: delay },
          'sink could not be reset yet; retrying',
        );
        await abortableSleep(delay, signal);
        delay = Math.min(delay * 2, maxDelay);
        continue;
      }
    }
    const session = new StreamSession(options, progress);
    let failure: unknown;
    try {
      await session.run();
    } catch (error) {
      failure = error;
    }
    // A stop wins: the sink may fail because its owner is closing it for the same stop.
    if (signal?.aborted) return;
    options.onStreaming?.(false);
    if (session.sinkFailed) {
      // A Kafka outage (the broker restarting) fails KafkaChangeSink with a
      // retriable error, and the sink then rejects every call until abort().
      // Rethrowing it here ended the capture for good on every broker
      // restart that outlasted kafkajs's retries; instead the sink is reset
      // and the stream resumes from the stored position, with the same
      // backoff as after a lost database connection.
      if (!isRetriable(session.sinkError) || !options.sink.abort || !options.loadOffset)
        throw session.sinkError;
      failure = session.sinkError;
      sinkNeedsReset = true;
    } else if (session.openAppends > 0) {
      // PostgreSQL sends the whole transaction again on the next connection.
      if (!options.sink.abort) {
        throw new RowkubeError(
          ErrorCode.SOURCE_CONNECTION,
          `replication connection lost inside a transaction after ${session.openAppends} changes went to the ` +
            'sink, which cannot discard them: restart the capture (the transaction is sent again)',
          true,
          { cause: failure },
        );
      }
      try {
        await options.sink.abort();
      } catch (error) {
        // Discarding a chunk already sent to Kafka failed (the broker is down
        // too): the sink is failed now, and is reset before the next session.
        if (!isRetriable(error) || !options.loadOffset) throw error;
        sinkNeedsReset = true;
      }
    }
    if (failure === undefined) {
      logger.warn(
        { action: 'stream-ended', position: formatLsn(progress.acked) },
        'replication stream ended; reconnecting',
      );
    } else if (!isRetriable(failure)) {
      throw failure;
    } else {
      logger.warn(
        { err: failure, action: 'reconnect', position: formatLsn(progress.acked), delayMs: delay },
        sinkNeedsReset
          ? 'sink failed; resetting it, then reconnecting'
          : 'replication connection lost; reconnecting',
      );
    }
    if (session.started) delay = initialDelay;
    await abortableSleep(delay, signal);
    delay = Math.min(delay * 2, maxDelay);
  }
}

/**
 * Makes a failed sink usable again (abort()) and moves the resume position to
 * what it stored last. That can be past the last acknowledged commit: a Kafka
 * commit whose reply was lost in the outage may have gone through, and was
 * rejected all the same. Resuming before it would deliver it twice; the slot
 * still holds everything after the acknowledged position, so skipping up to
 * the stored one is safe. Never moves back: the slot has nothing before acked.
 */
async function resetSink(options: StreamOptions, progress: StreamProgress): Promise<void> {
  await options.sink.abort?.();
  const stored = await options.loadOffset?.();
  if (stored === undefined) return;
  const lsn = parseOffset(stored).lsn;
  if (lsn > progress.acked) progress.acked = lsn;
}

interface OpenTransaction {
  xid: number;
  /** Delivered before (commit starts before the resume position): read past, not emitted. */
  skip: boolean;
}

/** One replication connection: from START_REPLICATION to a stop, a failure or the end of the stream. */
class StreamSession {
  started = false;
  /** Set when a sink call threw: that error ends capture, whatever else happened. */
  sinkFailed = false;
  sinkError: unknown;
  /** Changes appended to the sink since its last commit. */
  openAppends = 0;

  private readonly logger: Logger;
  private readonly schemas: StreamSchemas;
  private readonly captured: Set<string>;
  private readonly heartbeatIntervalMs: number;
  /** Transactions whose commit record starts before this were delivered by an earlier session. */
  private readonly resumeFrom: Lsn;
  private service: LogicalReplicationService | undefined;
  private catalog: pg.Client | undefined;
  private plugin: TextPgoutputPlugin | undefined;
  private failure: unknown;
  private stopping = false;
  private finish: () => void = () => undefined;
  private txn: OpenTransaction | undefined;
  private handled = 0;
  private busy = 0;
  private lastActivityAt = Date.now();
  private lastPingAt = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Sink commits in flight, acknowledged in order as they resolve; never rejects. */
  private acks: Promise<void> = Promise.resolve();
  private pendingCommits = 0;
  private readonly maxPendingCommits: number;
  private readonly warnedTruncate = new Set<string>();

  constructor(
    private readonly options: StreamOptions,
    private readonly progress: StreamProgress,
  ) {
    this.logger = options.logger;
    this.schemas = new StreamSchemas(options.context, options.initialSchemas);
    this.captured = new Set(options.tables.map(tableLabel));
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
    this.maxPendingCommits = options.maxPendingCommits ?? 1000;
    this.resumeFrom = progress.acked;
  }

  async run(): Promise<void> {
    const { options } = this;
    const done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    const onAbort = () => {
      this.stopping = true;
      this.finish();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const catalog = new pg.Client(clientConfig(options.url));
    this.catalog = catalog;
    catalog.on('error', (error) => this.fail(asSourceError(error, 'catalog connection')));
    const service = new LogicalReplicationService(clientConfig(options.url), {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      flowControl: { enabled: true },
    });
    this.service = service;
    const plugin = new TextPgoutputPlugin({ protoVersion: 1, publicationNames: [options.publication] });
    this.plugin = plugin;
    service.on('data', (_lsn: string, message: Pgoutput.Message) => this.onData(message));
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) =>
      this.onKeepalive(lsn, shouldRespond),
    );
    service.on('error', (error: Error) => this.fail(streamError(error, options)));
    service.on('start', () => {
      this.started = true;
      options.onStreaming?.(true);
      this.logger.info(
        { action: 'stream-start', slot: options.slot, position: formatLsn(this.resumeFrom) },
        'streaming from the replication slot',
      );
    });
    const timer = setInterval(() => this.tick(), Math.max(50, Math.min(this.heartbeatIntervalMs, 5_000)));
    try {
      if (!options.signal?.aborted) {
        await catalog.connect();
        service
          .subscribe(plugin, options.slot, formatLsn(this.resumeFrom))
          .then(() => this.finish())
          .catch((error: unknown) => this.fail(streamError(error, options)));
        await done;
      }
    } catch (error) {
      this.fail(asSourceError(error, 'catalog connection'));
    } finally {
      clearInterval(timer);
      options.signal?.removeEventListener('abort', onAbort);
      this.stopping = true;
      await withTimeout(service.stop(), 5_000).catch(() => undefined);
      // Let a handler that is inside a sink call finish, and pending commits settle: nothing is
      // in flight once run() returns, and the next connection resumes after every stored commit.
      await this.chain;
      await this.acks;
      service.removeAllListeners();
      await withTimeout(catalog.end(), 5_000).catch(() => undefined);
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private fail(error: unknown): void {
    if (this.failure === undefined && !this.stopping) this.failure = error;
    this.finish();
  }

  /** Runs `task` after every task before it; tasks never reject. */
  private serial(task: () => Promise<void>): Promise<void> {
    this.busy += 1;
    const next = this.chain.then(async () => {
      try {
        if (this.failure === undefined && !this.stopping) await task();
      } catch (error) {
        this.fail(error);
      } finally {
        this.busy -= 1;
        this.lastActivityAt = Date.now();
      }
    });
    this.chain = next;
    return next;
  }

  private async sinkCall(call: () => Promise<void> | void): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.sinkFailure(error);
      throw error;
    }
  }

  private onData(message: Pgoutput.Message): Promise<void> {
    return this.serial(async () => {
      try {
        await this.handle(message);
      } finally {
        this.handled += 1;
      }
    });
  }

  private async handle(message: Pgoutput.Message): Promise<void> {
    const tag = (message as { tag: unknown }).tag;
    if (tag === PARSE_FAILURE) throw (message as unknown as { error: unknown }).error;
    switch (message.tag) {
      case 'begin': {
        const commitStart = message.commitLsn ? parseLsn(message.commitLsn) : 0n;
        this.txn = { xid: message.xid >>> 0, skip: commitStart < this.resumeFrom };
        return;
      }
      case 'relation':
        return this.onRelation(message);
      case 'insert':
      case 'update':
      case 'delete':
        return this.onRow(message);
      case 'truncate':
        return this.onTruncate(message);
      case 'commit':
        return this.onCommit(message);
      default:
        // type (names of user types: the catalog is read instead), origin, message: nothing to emit.
        return;
    }
  }

  private async onRelation(message: Pgoutput.MessageRelation): Promise<void> {
    const label = `${message.schema}.${message.name}`;
    const before = this.schemas.get(message.relationOid);
    if (!this.captured.has(label)) {
      if (before) {
        // Capturing on under the old name would mislabel every later change.
        throw new RowkubeError(
          ErrorCode.TABLE_NOT_FOUND,
          `captured table ${before.schema}.${before.table} was renamed to ${label} while streaming: ` +
            "update the source's tables (and the publication) to the new name",
        );
      }
      return;
    }
    if (!this.catalog) return;
    const schema = await this.schemas.onRelation(this.catalog, message.relationOid, message);
    if (before && before !== schema) {
      this.logger.info(
        { action: 'schema-change', table: label, columns: schema.columns.map((c) => c.name) },
        'table shape changed',
      );
    }
  }

  private async onRow(
    message: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete,
  ): Promise<void> {
    const txn = this.txn;
    if (!txn) throw new Error(`pgoutput ${message.tag} outside a transaction`);
    if (txn.skip) return;
    const schema = this.schemas.get(message.relation.relationOid);
    if (!schema) {
      const label = `${message.relation.schema}.${message.relation.name}`;
      if (this.captured.has(label))
        throw new Error(`pgoutput ${message.tag} on ${label} before its Relation message`);
      return; // A table of the publication that this source does not capture.
    }
    const change = emitRowChange(schema, message);
    await this.sinkCall(() => this.options.sink.append(change));
    this.openAppends += 1;
  }

  private onTruncate(message: Pgoutput.MessageTruncate): void {
    for (const relation of message.relations) {
      const label = `${relation.schema}.${relation.name}`;
      if (!this.captured.has(label) || this.warnedTruncate.has(label)) continue;
      this.warnedTruncate.add(label);
      this.logger.error(
        { action: 'truncate', table: label },
        `TRUNCATE of ${label} is not captured: the rows it removed stay in the change topic. Snapshot again ` +
          '(delete the stored offset and drop the slot), or create the publication with ' +
          "WITH (publish = 'insert, update, delete')",
      );
    }
  }

  private async onCommit(message: Pgoutput.MessageCommit): Promise<void> {
    const txn = this.txn;
    this.txn = undefined;
    if (!txn) throw new Error('pgoutput commit without begin');
    if (!message.commitEndLsn) throw new Error('pgoutput commit without end LSN');
    // Nothing captured (delivered before, or only tables this source does not capture): nothing to
    // commit. The position moves on with the next keepalive.
    if (txn.skip || this.openAppends === 0) return;
    const end = parseLsn(message.commitEndLsn);
    const commitTsMs = Number(BigInt(message.commitTime as unknown as bigint) / 1000n);
    this.commitInOrder({ position: serializeOffset({ lsn: end }), txId: String(txn.xid), commitTsMs }, end);
    if (this.pendingCommits >= this.maxPendingCommits) await this.acks;
  }

  /**
   * Commits to the sink without waiting for it: a sink may group many source
   * transactions into one Kafka transaction (KafkaChangeSink lingers), which
   * awaiting each commit would serialise. The slot is acknowledged as each
   * commit resolves, strictly in commit order, and never past a commit that
   * failed. Appends still push back through their own promises.
   */
  private commitInOrder(info: CommitInfo, lsn: Lsn): void {
    this.openAppends = 0;
    this.pendingCommits += 1;
    let committed: Promise<void>;
    try {
      committed = Promise.resolve(this.options.sink.commit(info));
    } catch (error) {
      committed = Promise.reject(error);
    }
    // Handled below, in order; this keeps an early rejection from counting as unhandled.
    committed.catch(() => undefined);
    this.acks = this.acks.then(async () => {
      try {
        await committed;
        if (!this.sinkFailed) this.acknowledge(lsn);
      } catch (error) {
        this.sinkFailure(error);
      } finally {
        this.pendingCommits -= 1;
      }
    });
  }

  private sinkFailure(error: unknown): void {
    if (!this.sinkFailed) this.sinkError = error;
    this.sinkFailed = true;
    this.fail(error);
  }

  /**
   * A keepalive carries the server's WAL position K (what it has decoded and
   * sent). Replies report the last position the sink stored, never K itself,
   * unless nothing is pending: no open transaction and every message received
   * so far handled. Then every captured change before K is stored, and no
   * transaction that commits later can commit before K, so K may be stored and
   * acknowledged: a slot on an idle table does not pin the WAL that other
   * tables write. K is stored (an empty sink commit) before it is acknowledged,
   * so that a stored position is never behind the slot (preflight relies on it).
   */
  private onKeepalive(lsnText: string, shouldRespond: boolean): void {
    this.lastActivityAt = Date.now();
    const service = this.service;
    if (!service) return;
    if (shouldRespond) acknowledgeLsn(service, this.progress.acked);
    const k = parseLsn(lsnText);
    const quiet = this.quiet();
    if (!quiet || k <= this.progress.acked) return;
    if (Date.now() - this.progress.lastIdleCommitAt < this.heartbeatIntervalMs) return;
    this.progress.lastIdleCommitAt = Date.now();
    void this.serial(async () => {
      // Re-checked: a transaction may have begun meanwhile (it commits after K, but its
      // appends must not be committed under K).
      if (this.txn || this.openAppends > 0 || this.pendingCommits > 0 || k <= this.progress.acked) return;
      this.commitInOrder({ position: serializeOffset({ lsn: k }), commitTsMs: Date.now() }, k);
    });
  }

  /** Nothing received is unhandled, no transaction is open, no commit is pending. */
  private quiet(): boolean {
    return (
      !this.txn && this.busy === 0 && this.pendingCommits === 0 && this.plugin?.received === this.handled
    );
  }

  private acknowledge(lsn: Lsn): void {
    if (lsn <= this.progress.acked) return;
    this.progress.acked = lsn;
    if (this.service) acknowledgeLsn(this.service, lsn);
  }

  /** Periodic: ask for a keepalive (drives idle acknowledgements), and notice a silent connection. */
  private tick(): void {
    const service = this.service;
    if (!service || !this.started || this.stopping) return;
    const now = Date.now();
    const quiet = this.quiet();
    const lastHeard = Math.max(this.lastActivityAt, this.plugin?.lastReceivedAt ?? 0);
    const idleTimeoutMs = this.options.idleTimeoutMs ?? 60_000;
    if (quiet && now - lastHeard > idleTimeoutMs) {
      this.fail(
        new RowkubeError(
          ErrorCode.SOURCE_CONNECTION,
          `no message or keepalive from PostgreSQL for ${idleTimeoutMs} ms on slot ${this.options.slot}`,
          true,
        ),
      );
      return;
    }
    if (now - this.lastPingAt >= this.heartbeatIntervalMs) {
      this.lastPingAt = now;
      acknowledgeLsn(service, this.progress.acked, true);
    }
  }
}

/** Replication errors that name a cause the user must fix; the rest as asSourceError. */
function streamError(error: unknown, options: StreamOptions): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (sqlState(error) === '42704' && /replication slot/i.test(message)) {
    return new RowkubeError(
      ErrorCode.POSITION_PURGED,
      `replication slot ${options.slot} does not exist any more (${message}): the changes since the stored ` +
        'position are gone; a new snapshot is needed: delete the stored offset of this source and start again',
      false,
      { cause: error },
    );
  }
  if (sqlState(error) === '42704' && /publication/i.test(message)) {
    return new RowkubeError(
      ErrorCode.CONFIG,
      `${message}: the publication was dropped; create it again as the table owner: CREATE PUBLICATION ` +
        `${quoteIdent(options.publication)} FOR TABLE ${options.tables.map(quoteTable).join(', ')}`,
      false,
      { cause: error },
    );
  }
  return asSourceError(error, `replication slot ${options.slot}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
