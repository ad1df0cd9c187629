import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type {
  ChangeSink,
  CommitInfo,
  Row,
  RowChange,
  SchemaVersion,
  SourcePosition,
  TableSchema,
} from '../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../src/core/errors.js';
import type { OffsetCodec, SourceConnector } from '../src/core/source-connector.js';
import {
  decodeProgress,
  encodeProgress,
  type IncrementalProgress,
  IncrementalSnapshotState,
  type KeyValues,
} from './incremental-snapshot.js';
import { parseSignal, type SignalRow, SignalType } from './signal-table.js';

// Incremental snapshots for any connector: a decorator around a
// SourceConnector that captures the source's signal table too, and wraps the
// sink the stream writes to. The wrapper reads signal rows out of the stream
// (never publishing them), runs the watermark algorithm of
// incremental-snapshot.ts, and stores its progress in the position of every
// commit. What differs per database — the signal table's existence, the
// watermark INSERT, the chunk SELECT, table names — is an IncrementalDialect
// (connectors/<db>/<db>-incremental.ts).

/** The field of a stored position that holds the progress (JSON text). */
export const PROGRESS_FIELD = 'incrementalSnapshot';

/** Rows per chunk when the configuration names no other size. */
export const DEFAULT_CHUNK_SIZE = 1024;

/** What a connector's database gives the incremental snapshot. */
export interface IncrementalDialect<Prepared> {
  /** The signal table as configured. */
  readonly signalTable: string;
  /** A configured table name as the changes of that table are labelled (`labelOf`). */
  label(name: string): string;
  /** The label of a captured table: mysql "tenants", postgres "public.tenants". */
  labelOf(table: TableSchema): string;
  /** Whether the signal table exists; without it capture runs without incremental snapshots. */
  signalTableExists(): Promise<boolean>;
  /** Opens what a stream needs to write watermarks and read chunks, on connections of its own. */
  open(prepared: Prepared): Promise<IncrementalSession>;
}

export interface IncrementalSession {
  /** Inserts one signal-table row, committed when it resolves. */
  writeSignal(row: SignalRow): Promise<void>;
  /**
   * Up to `limit` rows of `table` whose primary key is greater than `after`
   * (null: from the first), in primary-key order, in the representation
   * the stream decodes the table's rows into. `latest` is the table's shape
   * as the stream saw it last, if it saw it.
   */
  readChunk(
    table: string,
    after: KeyValues | null,
    limit: number,
    latest: TableSchema | undefined,
  ): Promise<{ schema: TableSchema; rows: Row[] }>;
  close(): Promise<void>;
}

/** The inner connector's position and the incremental snapshot's progress at it. */
export interface IncrementalPosition<Position> {
  inner: Position;
  progress: IncrementalProgress | undefined;
}

export interface IncrementalPrepared<Prepared> {
  inner: Prepared;
  /** The signal table exists and is captured. */
  signals: boolean;
}

export interface IncrementalSnapshotOptions<Prepared, Position> {
  /** The connector capturing `tables` (and the signal table, when they are given with it). */
  connector: (tables: readonly string[]) => SourceConnector<Prepared, Position>;
  /** The source's captured tables as configured. */
  tables: readonly string[];
  dialect: IncrementalDialect<Prepared>;
  /** Rows per chunk. Default DEFAULT_CHUNK_SIZE. */
  chunkSize?: number | undefined;
}

/**
 * `connector` with incremental snapshots through the signal table. Without a
 * signal table the source is captured as before; its progress, if a
 * snapshot was running, is kept and resumes once the table is back.
 */
export function withIncrementalSnapshots<Prepared, Position>(
  options: IncrementalSnapshotOptions<Prepared, Position>,
): SourceConnector<IncrementalPrepared<Prepared>, IncrementalPosition<Position>> {
  const { dialect } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const plain = options.connector(options.tables);
  const signalLabel = dialect.label(dialect.signalTable);
  const withSignals = options.connector([
    ...options.tables.filter((t) => dialect.label(t) !== signalLabel),
    dialect.signalTable,
  ]);
  const captured = new Set(options.tables.map((t) => dialect.label(t)));
  captured.delete(signalLabel);
  let reportedMissing = false;

  return {
    kind: plain.kind,
    name: plain.name,
    offsetCodec: incrementalCodec(plain.offsetCodec, plain.name),
    isTransient: (error) => plain.isTransient(error),

    async preflight(from, context) {
      const signals = await dialect.signalTableExists();
      if (!signals && !reportedMissing) {
        reportedMissing = true;
        context.logger.info(
          { action: 'incremental-snapshot', table: dialect.signalTable },
          `signal table ${dialect.signalTable} does not exist: incremental snapshots are off (docs/capture.md)`,
        );
      }
      const inner = await (signals ? withSignals : plain).preflight(from?.inner, context);
      return { inner, signals };
    },

    async snapshot(prepared, sink, context, resumeFrom) {
      const connector = prepared.signals ? withSignals : plain;
      // The signal table's rows are old requests: neither published nor acted on.
      // A snapshot cut short resumes in the wrapped connector, from its own position.
      const inner = await connector.snapshot(
        prepared.inner,
        withoutSignalRows(sink, dialect, signalLabel),
        context,
        resumeFrom && { from: resumeFrom.from.inner, progress: resumeFrom.progress },
      );
      return { inner, progress: undefined };
    },

    async stream(prepared, from, sink, context) {
      const connector = prepared.signals ? withSignals : plain;
      const { logger } = context;
      const state = new IncrementalSnapshotState(from.progress, chunkSize);
      const session = prepared.signals ? await dialect.open(prepared.inner) : undefined;
      // A failure of the chunk started in the background ends the stream through this signal.
      const stop = new AbortController();
      const onAbort = () => stop.abort(context.signal.reason);
      if (context.signal.aborted) onAbort();
      context.signal.addEventListener('abort', onAbort);
      const wrapper = new IncrementalSink(sink, state, session, {
        dialect,
        signalLabel,
        captured,
        logger,
        onBackgroundFailure: () => stop.abort(),
      });
      try {
        await connector.stream(prepared.inner, from.inner, wrapper, {
          ...context,
          signal: stop.signal,
          streaming: () => {
            context.streaming();
            wrapper.resume();
          },
        });
      } finally {
        context.signal.removeEventListener('abort', onAbort);
        await wrapper.settled();
        await session?.close().catch(() => undefined);
      }
      if (wrapper.failure !== undefined && !context.signal.aborted) throw wrapper.failure.error;
    },
  };
}

/** The inner codec, with the progress in the stored position's PROGRESS_FIELD. */
function incrementalCodec<Position>(
  inner: OffsetCodec<Position>,
  source: string,
): OffsetCodec<IncrementalPosition<Position>> {
  return {
    parse: (stored) => {
      let progress: IncrementalProgress | undefined;
      try {
        progress = decodeProgress(
          stored[PROGRESS_FIELD],
          `source ${source}: ${PROGRESS_FIELD} of the stored position`,
        );
      } catch (error) {
        throw new RowkubeError(ErrorCode.CONFIG, (error as Error).message, false, { cause: error });
      }
      return { inner: inner.parse(stored), progress };
    },
    serialize: (position) => withProgress(inner.serialize(position.inner), position.progress),
    compare: (a, b) => inner.compare(a.inner, b.inner),
    format: (position) => inner.format(position.inner),
  };
}

function withProgress(position: SourcePosition, progress: IncrementalProgress | undefined): SourcePosition {
  // Absent rather than null when no snapshot ever ran: positions stay as they were for everyone else.
  return progress === undefined ? position : { ...position, [PROGRESS_FIELD]: encodeProgress(progress) };
}

/** The sink of the initial snapshot: the signal table's rows are dropped. */
function withoutSignalRows(
  sink: ChangeSink,
  dialect: IncrementalDialect<unknown>,
  signalLabel: string,
): ChangeSink {
  return {
    append: (change) => (dialect.labelOf(change.table) === signalLabel ? undefined : sink.append(change)),
    commit: (info) => sink.commit(info),
    // The schema history goes through untouched: without it no history is kept.
    recordSchema: (version) => sink.recordSchema?.(version),
  };
}

interface IncrementalSinkOptions {
  dialect: IncrementalDialect<unknown>;
  signalLabel: string;
  /** Labels of the tables an execute-snapshot signal may name. */
  captured: ReadonlySet<string>;
  logger: Logger;
  onBackgroundFailure: () => void;
}

/**
 * The sink as the stream sees it during one attempt: signal rows drive the
 * state and go no further; changes of a table in a window leave its chunk;
 * a closing window appends the chunk's remaining rows as op 'r' into the
 * source transaction that holds the high watermark, so they commit with the
 * position after it; every commit carries the progress.
 */
class IncrementalSink implements ChangeSink {
  failure: { error: unknown } | undefined;
  private background: Promise<void> | undefined;
  /** The latest shape of each table, as the stream delivered it. */
  private readonly shapes = new Map<string, TableSchema>();

  constructor(
    private readonly sink: ChangeSink,
    private readonly state: IncrementalSnapshotState,
    private readonly session: IncrementalSession | undefined,
    private readonly options: IncrementalSinkOptions,
  ) {}

  append(change: RowChange): Promise<void> | void {
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    const label = this.options.dialect.labelOf(change.table);
    if (label === this.options.signalLabel) return this.onSignal(change);
    this.shapes.set(label, change.table);
    this.state.change(label, change);
    return this.sink.append(change);
  }

  commit(info: CommitInfo): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    return this.sink.commit({ ...info, position: withProgress(info.position, this.state.progress()) });
  }

  recordSchema(version: SchemaVersion): void {
    this.sink.recordSchema?.(version);
  }

  /** The stream is reading: a snapshot that was running when capture stopped goes on with its next chunk. */
  resume(): void {
    if (!this.state.active || this.state.inWindow || this.background !== undefined) return;
    if (this.session === undefined) {
      this.options.logger.warn(
        { action: 'incremental-snapshot', table: this.state.current?.table },
        `an incremental snapshot is in progress but the signal table ${this.options.dialect.signalTable} is gone: it waits until the table is back`,
      );
      return;
    }
    this.options.logger.info(
      { action: 'incremental-snapshot', table: this.state.current?.table },
      'resuming the incremental snapshot',
    );
    this.background = this.nextChunk().catch((error: unknown) => {
      this.failure ??= { error };
      this.options.onBackgroundFailure();
    });
  }

  /** Resolves once no chunk is being read. */
  async settled(): Promise<void> {
    await this.background;
  }

  private async onSignal(change: RowChange): Promise<void> {
    // Only inserts are requests; updates and deletes of signal rows (clean-up) mean nothing.
    if (change.op !== 'c' || change.after === null) return;
    const signal = parseSignal(change.after);
    const { logger } = this.options;
    if (signal.kind === 'invalid') {
      logger.error({ action: 'signal', signal: signal.id }, `signal ${signal.id} ignored: ${signal.problem}`);
      return;
    }
    if (signal.kind === 'execute-snapshot') {
      const tables = signal.tables.map((t) => this.options.dialect.label(t));
      const unknown = tables.filter((t) => !this.options.captured.has(t));
      if (unknown.length > 0) {
        logger.error(
          { action: 'signal', signal: signal.id, tables: unknown },
          `signal ${signal.id}: ${unknown.join(', ')} not captured by this source (captured: ${[...this.options.captured].join(', ')}); those are skipped`,
        );
      }
      const known = tables.filter((t) => this.options.captured.has(t));
      logger.info(
        { action: 'incremental-snapshot', signal: signal.id, tables: known },
        'incremental snapshot requested',
      );
      if (this.state.request(signal.id, known)) await this.nextChunk();
      return;
    }
    const outcome = this.state.watermark(signal.id);
    if (outcome.kind !== 'closed') return;
    for (const row of outcome.rows) await this.sink.append(row);
    logger.debug(
      { action: 'incremental-snapshot', rows: outcome.rows.length, superseded: outcome.superseded },
      'chunk emitted',
    );
    if (!outcome.more) {
      logger.info({ action: 'incremental-snapshot' }, 'incremental snapshot finished');
      return;
    }
    await this.nextChunk();
  }

  /** Low watermark, chunk SELECT, high watermark. */
  private async nextChunk(): Promise<void> {
    const session = this.session;
    if (session === undefined) return;
    const plan = this.state.plan(randomUUID(), randomUUID());
    if (plan === undefined) return;
    const data = JSON.stringify({ table: plan.table });
    await session.writeSignal({ id: plan.low, type: SignalType.WINDOW_OPEN, data });
    const { schema, rows } = await session.readChunk(
      plan.table,
      plan.after,
      plan.limit,
      this.shapes.get(plan.table),
    );
    this.state.chunkRead(plan, schema, rows);
    await session.writeSignal({ id: plan.high, type: SignalType.WINDOW_CLOSE, data });
  }
}
