import pino, { type Logger } from 'pino';
import { abortableSleep } from '../src/core/abortable-sleep.js';
import type { ChangeSink, SchemaVersion, SourcePosition } from '../src/core/change-event.js';
import { ErrorCode, isProgrammingError, isRetriable, RowkubeError } from '../src/core/errors.js';
import { RetryBackoff, type RetryBackoffOptions } from '../src/core/retry-backoff.js';
import {
  decodeStoredState,
  describeProgress,
  type SnapshotProgress,
  type StoredCaptureState,
} from '../src/core/snapshot-progress.js';
import type {
  CaptureContext,
  CapturedRows,
  OffsetCodec,
  SnapshotContext,
  SourceConnector,
} from '../src/core/source-connector.js';
import { AttemptSink } from './attempt-sink.js';

// The one capture loop: every connector's lifecycle, and how it survives a
// database, a network or a broker that goes away, at start or mid-run.
//
//   [open the sink] → [abort it, if the last attempt left it dirty] → load the
//   stored position → preflight → snapshot (no position yet, a snapshot cut
//   short, or one requested by `rowkube snapshot --source`) → stream
//
// A snapshot commits in chunks, each storing its progress
// (src/core/snapshot-progress.ts), so an attempt that fails mid-snapshot
// resumes after the last committed chunk rather than from zero.
//
// Any retriable failure, in any of these steps, ends the attempt: the loop
// logs one warn line, reports not ready with the reason, backs off with
// jitter and starts again from the stored position. Only failures that
// retrying cannot fix reject.

/** Where capture delivers: the sink and the position it stored last. */
export interface CaptureTarget {
  /**
   * Commits resolve in call order, once the changes are durable (ChangeSink).
   * abort() must drop an open transaction and, after a failure, make the sink
   * usable again (KafkaChangeSink does); a sink without it cannot be reused
   * after a connection lost mid-transaction, and capture then rejects.
   */
  sink: ChangeSink;
  /** The last position the sink stored; undefined before the first snapshot committed. Read after abort(). */
  loadOffset(): Promise<SourcePosition | undefined>;
  /** The source's stored schema history (CaptureContext.schemaHistory). Read after loadOffset(). */
  loadSchemaHistory?(): Promise<SchemaVersion[]>;
  /**
   * What the change topics hold: a re-snapshot turns the rows it does not
   * read again into deletions. Without it a re-snapshot only rewrites the
   * rows it reads (and warns).
   */
  capturedRows?: CapturedRows | undefined;
}

export interface RunCaptureOptions {
  /** Aborting stops capture: runCapture() resolves once no sink call is in flight. */
  signal: AbortSignal;
  /** Default: pino at level info. Lines carry `source` and `connector`. */
  logger?: Logger | undefined;
  /**
   * Readiness: true once the stream reads; false with the reason after each
   * failure ("waiting for Kafka: …", "connecting to the database: …").
   */
  onReadiness?: ((ready: boolean, reason?: string) => void) | undefined;
  /** Wait between attempts: doubles from initialMs to maxMs, with jitter. Defaults 500 ms and 10 s: a database or broker that is back is found within seconds. */
  backoff?: Partial<RetryBackoffOptions> | undefined;
  /** The sink's far end, for readiness reasons and logs. Default "the sink". */
  sinkName?: string | undefined;
  /** Rows per snapshot chunk: per Kafka commit with the progress, and per keyset query. Default 10,000. */
  snapshotChunkRows?: number | undefined;
  /** Told after each snapshot chunk Kafka acknowledged: metrics. */
  onSnapshotProgress?: ((progress: SnapshotProgress) => void) | undefined;
  /** Waits between attempts; tests pass a fake clock. Default abortableSleep. */
  sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
}

/** Where an attempt failed: the sink (opening, recovering, reading its position, any sink call) or a connector phase. */
export type CapturePhase = 'sink' | 'preflight' | 'snapshot' | 'stream';

/**
 * The one place that decides whether capture tries again after `error`: a
 * RowkubeError says so itself; programming errors never; any other error
 * only when the connector lists it as a transient driver error (`connector`
 * is absent for errors of the sink, which speaks RowkubeError).
 */
export function isRetriableCaptureError(error: unknown, connector?: Pick<SourceConnector, 'isTransient'>) {
  if (error instanceof RowkubeError || isProgrammingError(error)) return isRetriable(error);
  return connector?.isTransient(error) ?? false;
}

/**
 * Captures with `connector` into `target` until the signal aborts (resolves)
 * or a failure that retrying cannot fix (rejects with it). `target` may be a
 * function that opens the sink (connects to Kafka): it is called, and
 * retried like every phase, until it succeeds; closing what it opened is the
 * caller's business.
 */
export async function runCapture<Prepared, Position>(
  connector: SourceConnector<Prepared, Position>,
  target: CaptureTarget | (() => Promise<CaptureTarget>),
  options: RunCaptureOptions,
): Promise<void> {
  const { signal } = options;
  const codec = connector.offsetCodec;
  const logger = (options.logger ?? pino({ name: 'rowkube' })).child({
    source: connector.name,
    connector: connector.kind,
  });
  const backoff = new RetryBackoff({
    initialMs: options.backoff?.initialMs ?? 500,
    maxMs: options.backoff?.maxMs ?? 10_000,
    ...(options.backoff?.random === undefined ? {} : { random: options.backoff.random }),
  });
  const sleep = options.sleep ?? abortableSleep;
  const sinkName = options.sinkName ?? 'the sink';
  const context: CaptureContext = { signal, logger };
  let opened = typeof target === 'function' ? undefined : target;
  /** The last attempt left the sink failed, or holding part of a transaction: abort before reuse. */
  let dirty = false;
  /** The furthest position the sink acknowledged in this process: no attempt resumes behind it. */
  let acknowledged: StoredCaptureState<Position> | undefined;
  const chunkRows = options.snapshotChunkRows ?? 10_000;
  if (!Number.isInteger(chunkRows) || chunkRows < 1)
    throw new RangeError(`snapshotChunkRows must be a positive whole number, got ${chunkRows}`);
  const decode = (stored: SourcePosition | undefined) =>
    decodeStoredState(connector.name, stored, (p) => codec.parse(p));

  for (let attempt = 1; !signal.aborted; attempt++) {
    let phase: CapturePhase = 'sink';
    let sink: AttemptSink | undefined;
    let progressed = false;
    try {
      if (opened === undefined && typeof target === 'function') opened = await target();
      if (opened === undefined || signal.aborted) return;
      if (dirty) {
        await opened.sink.abort?.();
        dirty = false;
      }
      const stored = await opened.loadOffset();
      const schemaHistory = (await opened.loadSchemaHistory?.()) ?? [];
      const attemptContext: CaptureContext = { ...context, schemaHistory };
      phase = 'preflight';
      const state = furthest(codec, decode(stored), acknowledged);
      const prepared = await connector.preflight(streamStart(state), attemptContext);
      if (signal.aborted) return;
      sink = new AttemptSink(opened.sink);
      let from: Position;
      if (state.phase === 'stream') {
        from = state.position;
        logger.info({ action: 'resume', position: codec.format(from) }, 'resuming from the stored position');
      } else {
        phase = 'snapshot';
        const resume = state.phase === 'resume-snapshot' ? state : undefined;
        const replace = state.phase === 'resume-snapshot' ? state.progress.replace : state.replace;
        if (replace && opened.capturedRows === undefined)
          logger.warn(
            { action: 'snapshot' },
            're-snapshot without access to the change topics: rows gone are not deleted',
          );
        logger.info(
          { action: 'snapshot', replace, ...(resume ? { rows: resume.progress.rows } : {}) },
          resume
            ? `resuming the snapshot cut short at ${describeProgress(resume.progress)}`
            : replace
              ? 're-snapshot requested: taking a new snapshot that replaces the captured rows'
              : 'no stored position: taking a snapshot',
        );
        options.onReadiness?.(
          false,
          `taking a snapshot${resume ? `: ${describeProgress(resume.progress)}` : ''}`,
        );
        const snapshotContext: SnapshotContext = {
          ...attemptContext,
          chunkRows,
          capturedRows: replace ? opened.capturedRows : undefined,
          progress: (progress) => {
            progressed = true;
            logger.info(
              {
                action: 'snapshot-progress',
                table: progress.table,
                rows: progress.rows,
                estimated: progress.estimated,
              },
              `snapshot progress: ${describeProgress(progress)}`,
            );
            options.onReadiness?.(false, `taking a snapshot: ${describeProgress(progress)}`);
            options.onSnapshotProgress?.(progress);
          },
        };
        from = await connector.snapshot(prepared, sink, snapshotContext, resume);
        logger.info(
          { action: 'snapshot-done', position: codec.format(from) },
          'snapshot done; streaming from its position',
        );
        progressed = true;
      }
      if (signal.aborted) return;
      phase = 'stream';
      await connector.stream(prepared, from, sink, {
        ...attemptContext,
        streaming: () => {
          progressed = true;
          options.onReadiness?.(true);
        },
      });
      if (signal.aborted) return;
      throw new RowkubeError(ErrorCode.SOURCE_CONNECTION, 'the stream ended without an error', true);
    } catch (error) {
      if (signal.aborted) return;
      // A failed sink decides: whatever the connector made of it, its error is the cause.
      const failure = sink?.failure !== undefined ? sink.failure.error : error;
      const where: CapturePhase = sink?.failure !== undefined ? 'sink' : phase;
      const retriable = isRetriableCaptureError(failure, where === 'sink' ? undefined : connector);
      const message = failure instanceof Error ? failure.message : String(failure);
      options.onReadiness?.(
        false,
        `${where === 'sink' ? `waiting for ${sinkName}` : 'connecting to the database'}: ${message}`,
      );
      if (!retriable) throw failure;
      // Without an attempt sink the failure came before any sink call (a failed abort stays dirty).
      if (sink !== undefined) dirty = sink.failure !== undefined || sink.openAppends > 0;
      if (dirty && opened?.sink.abort === undefined) {
        throw new RowkubeError(
          ErrorCode.SOURCE_CONNECTION,
          `source ${connector.name}: ${message}; the sink cannot drop the ${sink?.openAppends ?? 0} changes ` +
            'it holds of a transaction that will be read again: restart the capture',
          false,
          { cause: failure },
        );
      }
      if (progressed || sink?.committed !== undefined) backoff.reset();
      const delayMs = backoff.next();
      logger.warn(
        { err: failure, phase: where, attempt, retryInMs: delayMs },
        where === 'sink'
          ? `${sinkName} failed; retrying from the stored position`
          : `capture ${where} failed; retrying from the stored position`,
      );
      await sleep(delayMs, signal);
    } finally {
      if (sink?.committed !== undefined) acknowledged = furthest(codec, decode(sink.committed), acknowledged);
      // Stopping inside a transaction: whoever reuses the sink must not commit that half.
      if (signal.aborted && sink !== undefined && sink.failure === undefined && sink.openAppends > 0)
        await Promise.resolve(opened?.sink.abort?.()).catch(() => undefined);
    }
  }
}

/** Where the stream will start: the stored position, or the one a snapshot in progress recorded. */
function streamStart<P>(state: StoredCaptureState<P>): P | undefined {
  if (state.phase === 'stream') return state.position;
  return state.phase === 'resume-snapshot' ? state.from : undefined;
}

/**
 * The later of two states: a snapshot to take < a snapshot in progress (by
 * rows) < streaming (by position).
 */
function furthest<P>(
  codec: OffsetCodec<P>,
  a: StoredCaptureState<P>,
  b: StoredCaptureState<P> | undefined,
): StoredCaptureState<P> {
  if (b === undefined) return a;
  const rank = (s: StoredCaptureState<P>) =>
    s.phase === 'snapshot' ? 0 : s.phase === 'resume-snapshot' ? 1 : 2;
  if (rank(a) !== rank(b)) return rank(a) > rank(b) ? a : b;
  if (a.phase === 'stream' && b.phase === 'stream') return codec.compare(a.position, b.position) >= 0 ? a : b;
  if (a.phase === 'resume-snapshot' && b.phase === 'resume-snapshot')
    return a.progress.rows >= b.progress.rows ? a : b;
  return a;
}
