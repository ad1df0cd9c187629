import type { PostgresSslConfig } from '../../src/core/config/config-schema.js';
// The streaming source: pgoutput from a logical replication slot, through
// pg-logical-replication, onto a ChangeSink — one sink transaction per source
// transaction, acknowledged to the slot only once the sink committed it.
//
// pg-logical-replication's pitfalls and how they are avoided: postgres-pgoutput.ts.

import pg from 'pg';
import { LogicalReplicationService, type Pgoutput } from 'pg-logical-replication';
import type { Logger } from 'pino';
import type { ChangeSink, CommitInfo, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { CommitAcks, isQuiet } from './postgres-acks.js';
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
import { formatLsn, type Lsn, parseLsn, serializeOffset } from './postgres-offset.js';
import { acknowledgeLsn, PARSE_FAILURE, TextPgoutputPlugin } from './postgres-pgoutput.js';
import { type SchemaContext, StreamSchemas, sameShape } from './postgres-schema.js';

export interface StreamOptions {
  url: string;
  /** `sources[].postgres.ssl`: TLS for every connection. */
  ssl?: PostgresSslConfig | undefined;
  slot: string;
  publication: string;
  tables: readonly TableRef[];
  context: SchemaContext;
  /** Catalog schemas at start, by "schema.table": nullability of columns a later DDL left untouched. */
  initialSchemas: ReadonlyMap<string, TableSchema>;
  /**
   * The last definition of each table in the schema history, by "schema.table":
   * a Relation message that describes another shape is recorded (at the commit
   * of the transaction that used it first), and this map follows. Optional:
   * without it nothing is recorded.
   */
  recordedSchemas?: Map<string, TableSchema>;
  sink: ChangeSink;
  /** The stored position: transactions whose commit starts before it were delivered already. */
  startLsn: Lsn;
  logger: Logger;
  /** Aborting ends the stream; streamPostgres() then resolves once no sink call is in flight. */
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
  /** Told once the connection streams: readiness. */
  onStreaming?: (() => void) | undefined;
}

/**
 * Streams on one replication connection from `startLsn` until `signal`
 * aborts (resolves), the server ends the stream (resolves) or a failure
 * (rejects): a lost connection, a sink call that failed, a misconfiguration.
 * Nothing is in flight once it settles. Reconnecting is runCapture's
 * business: it resumes from the stored position, which the slot still holds
 * (the slot is acknowledged only what the sink stored).
 */
export function streamPostgres(options: StreamOptions): Promise<void> {
  return new StreamSession(options).run();
}

/**
 * Where the session is. Only `connecting` and `streaming` take on work: once
 * it stops, fails or the server ended the stream, later messages and failures
 * are ignored (the first failure is the one run() rejects with).
 */
type SessionState =
  | { kind: 'connecting' }
  | { kind: 'streaming' }
  /** Aborted, or run() is winding down: in-flight sink calls are awaited, nothing new starts. */
  | { kind: 'stopping' }
  | { kind: 'failed'; error: unknown }
  /** The server ended the stream. */
  | { kind: 'ended' };

/** The source transaction being read, if any. */
type TransactionState =
  | { kind: 'idle' }
  | {
      kind: 'open';
      xid: number;
      /** Delivered before (commit starts before the resume position): read past, not emitted. */
      skip: boolean;
      /** Changes appended to the sink since its last commit. */
      appends: number;
      /** Definitions to record in the schema history with this transaction's commit. */
      newSchemas?: TableSchema[];
    };

/** One replication connection: from START_REPLICATION to a stop, a failure or the end of the stream. */
class StreamSession {
  private state: SessionState = { kind: 'connecting' };
  private txn: TransactionState = { kind: 'idle' };
  private readonly acks: CommitAcks;

  private readonly logger: Logger;
  private readonly schemas: StreamSchemas;
  private readonly captured: Set<string>;
  private readonly heartbeatIntervalMs: number;
  /** Transactions whose commit record starts before this were delivered already. */
  private readonly resumeFrom: Lsn;
  private service: LogicalReplicationService | undefined;
  private catalog: pg.Client | undefined;
  private plugin: TextPgoutputPlugin | undefined;
  private finish: () => void = () => undefined;
  /** Message handlers run one after another on this chain; it never rejects. */
  private chain: Promise<void> = Promise.resolve();
  /** Handlers queued or running, and messages handled (compared with the plugin's received count). */
  private busy = 0;
  private handled = 0;
  private lastActivityAt = Date.now();
  private lastPingAt = 0;
  private readonly maxPendingCommits: number;

  constructor(private readonly options: StreamOptions) {
    this.logger = options.logger;
    this.schemas = new StreamSchemas(options.context, options.initialSchemas);
    this.captured = new Set(options.tables.map(tableLabel));
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
    this.maxPendingCommits = options.maxPendingCommits ?? 1000;
    this.resumeFrom = options.startLsn;
    this.acks = new CommitAcks({
      start: options.startLsn,
      acknowledge: (lsn) => {
        if (this.service) acknowledgeLsn(this.service, lsn);
      },
      onSinkFailure: (error) => this.fail(error),
    });
  }

  /** Connecting or streaming: the session still takes on messages, and records a failure. */
  private get active(): boolean {
    return this.state.kind === 'connecting' || this.state.kind === 'streaming';
  }

  async run(): Promise<void> {
    const { options } = this;
    const done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    const onAbort = () => {
      this.stop();
      this.finish();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const catalog = new pg.Client(clientConfig(options.url, options.ssl));
    this.catalog = catalog;
    catalog.on('error', (error) => this.fail(asSourceError(error, 'catalog connection')));
    const service = new LogicalReplicationService(clientConfig(options.url, options.ssl), {
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
      if (this.state.kind === 'connecting') this.state = { kind: 'streaming' };
      options.onStreaming?.();
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
          .then(() => this.end())
          .catch((error: unknown) => this.fail(streamError(error, options)));
        await done;
      }
    } catch (error) {
      this.fail(asSourceError(error, 'catalog connection'));
    } finally {
      clearInterval(timer);
      options.signal?.removeEventListener('abort', onAbort);
      this.stop();
      await withTimeout(service.stop(), 5_000).catch(() => undefined);
      // Let a handler that is inside a sink call finish, and pending commits settle: nothing is
      // in flight once run() returns, and the next connection resumes after every stored commit.
      await this.chain;
      await this.acks.settled();
      service.removeAllListeners();
      await withTimeout(catalog.end(), 5_000).catch(() => undefined);
    }
    if (this.state.kind === 'failed') throw this.state.error;
  }

  /** Aborted or winding down: a failure recorded before stays the outcome. */
  private stop(): void {
    if (this.active) this.state = { kind: 'stopping' };
  }

  private end(): void {
    if (this.active) this.state = { kind: 'ended' };
    this.finish();
  }

  private fail(error: unknown): void {
    if (this.active) this.state = { kind: 'failed', error };
    this.finish();
  }

  /** Runs `task` after every task before it; tasks never reject. */
  private serial(task: () => Promise<void>): Promise<void> {
    this.busy += 1;
    const next = this.chain.then(async () => {
      try {
        if (this.active) await task();
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
      // Nothing is acknowledged after a sink call failed.
      this.acks.halt();
      this.fail(error);
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
        this.txn = { kind: 'open', xid: message.xid >>> 0, skip: commitStart < this.resumeFrom, appends: 0 };
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
    // A shape the history does not hold yet is recorded with this transaction's commit.
    const recorded = this.options.recordedSchemas?.get(label);
    const txn = this.txn;
    if (this.options.recordedSchemas && txn.kind === 'open' && (!recorded || !sameShape(recorded, schema))) {
      txn.newSchemas = [...(txn.newSchemas ?? []), schema];
    }
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
    if (txn.kind !== 'open') throw new Error(`pgoutput ${message.tag} outside a transaction`);
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
    txn.appends += 1;
  }

  /** TRUNCATE of captured tables: one op 't' change each (Debezium's truncate event), in its transaction. */
  private async onTruncate(message: Pgoutput.MessageTruncate): Promise<void> {
    const txn = this.txn;
    if (txn.kind !== 'open') throw new Error('pgoutput truncate outside a transaction');
    if (txn.skip) return;
    for (const relation of message.relations) {
      const schema = this.schemas.get(relation.relationOid);
      if (!schema) continue; // A table of the publication that this source does not capture.
      this.logger.info({ action: 'truncate', table: `${schema.schema}.${schema.table}` }, 'table truncated');
      await this.sinkCall(() =>
        this.options.sink.append({ op: 't', table: schema, before: null, after: null }),
      );
      txn.appends += 1;
    }
  }

  private async onCommit(message: Pgoutput.MessageCommit): Promise<void> {
    const txn = this.txn;
    this.txn = { kind: 'idle' };
    if (txn.kind !== 'open') throw new Error('pgoutput commit without begin');
    if (!message.commitEndLsn) throw new Error('pgoutput commit without end LSN');
    // Nothing captured (delivered before, or only tables this source does not capture): nothing to
    // commit. The position moves on with the next keepalive.
    if (txn.skip || txn.appends === 0) return;
    const end = parseLsn(message.commitEndLsn);
    const commitTsMs = Number(BigInt(message.commitTime as unknown as bigint) / 1000n);
    for (const table of txn.newSchemas ?? []) {
      // The history of record; PostgreSQL decodes by its Relation messages (postgres-schema.ts).
      this.options.sink.recordSchema?.({ position: serializeOffset({ lsn: end }), table });
      this.options.recordedSchemas?.set(`${table.schema}.${table.table}`, table);
    }
    this.commitInOrder({ position: serializeOffset({ lsn: end }), txId: String(txn.xid), commitTsMs }, end);
    if (this.acks.pending >= this.maxPendingCommits) await this.acks.settled();
  }

  /**
   * Commits to the sink without waiting for it: a sink may group many source
   * transactions into one Kafka transaction (KafkaChangeSink lingers), which
   * awaiting each commit would serialise. The slot is acknowledged as each
   * commit resolves, strictly in commit order, and never past a commit that
   * failed (CommitAcks). Appends still push back through their own promises.
   */
  private commitInOrder(info: CommitInfo, lsn: Lsn): void {
    this.acks.commit(() => this.options.sink.commit(info), lsn);
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
    if (shouldRespond) acknowledgeLsn(service, this.acks.acked);
    const k = parseLsn(lsnText);
    if (!this.acks.idleCommitDue(k, this.quiet(), Date.now(), this.heartbeatIntervalMs)) return;
    void this.serial(async () => {
      // Re-checked: a transaction may have begun meanwhile (it commits after K, but its
      // appends must not be committed under K).
      if (this.txn.kind === 'open' || this.acks.pending > 0 || k <= this.acks.acked) return;
      this.commitInOrder({ position: serializeOffset({ lsn: k }), commitTsMs: Date.now() }, k);
    });
  }

  private quiet(): boolean {
    return isQuiet({
      transactionOpen: this.txn.kind === 'open',
      busy: this.busy,
      pendingCommits: this.acks.pending,
      received: this.plugin?.received ?? Number.NaN,
      handled: this.handled,
    });
  }

  /** Periodic: ask for a keepalive (drives idle acknowledgements), and notice a silent connection. */
  private tick(): void {
    const service = this.service;
    if (!service || this.state.kind !== 'streaming') return;
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
      acknowledgeLsn(service, this.acks.acked, true);
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
        `position are gone: run 'rowkube snapshot --source ${options.context.source}' to take a new snapshot`,
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
