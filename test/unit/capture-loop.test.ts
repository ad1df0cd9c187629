import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CaptureTarget } from '../../connectors/run-capture.js';
import { isRetriableCaptureError, runCapture } from '../../connectors/run-capture.js';
import type { ChangeSink, RowChange, SourcePosition, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import {
  newSnapshotProgress,
  snapshotInProgressPosition,
  snapshotRequestedPosition,
} from '../../src/core/snapshot-progress.js';
import type {
  CaptureContext,
  CapturedRows,
  OffsetCodec,
  SnapshotContext,
  SnapshotResume,
  SourceConnector,
  StreamContext,
} from '../../src/core/source-connector.js';
import { RecordingSink } from '../../support/recording-sink.js';

// The capture loop with a fake connector and a fake clock: every phase fails
// in turn, with retriable and non-retriable errors, and the loop must abort
// the sink, back off, resume from the stored position, or reject.

const TABLE: TableSchema = {
  source: 'fake',
  database: 'db',
  table: 't',
  columns: [{ name: 'id', kind: 'int', nullable: false, sourceType: 'int' }],
  primaryKey: ['id'],
};
const row = (id: number): RowChange => ({ op: 'c', table: TABLE, before: null, after: { id } });

/** Positions are plain numbers, stored as { n }. */
const codec: OffsetCodec<number> = {
  parse: (stored) => {
    if (typeof stored.n !== 'number') throw new TypeError(`not a fake position: ${JSON.stringify(stored)}`);
    return stored.n;
  },
  serialize: (n) => ({ n }),
  compare: (a, b) => a - b,
  format: String,
};

/** A driver error the fake connector lists as transient, as ECONNREFUSED is for the real ones. */
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const kafkaDown = () => new RowkubeError(ErrorCode.KAFKA, 'the broker went away', true);

type PreflightStep = (from: number | undefined) => Promise<void> | void;
type SnapshotStep = (sink: ChangeSink) => Promise<number>;
type StreamStep = (from: number, sink: ChangeSink, context: StreamContext) => Promise<void>;

/** Waits until the signal aborts: a stream that runs until it is stopped. */
function untilStopped(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Each phase runs the next scripted step, or its default: a snapshot of two
 * rows committed at position 1; a stream that says it streams and runs until
 * stopped. Every call is recorded.
 */
class FakeConnector implements SourceConnector<string, number> {
  readonly kind = 'fake';
  readonly name = 'fake';
  readonly offsetCodec = codec;
  readonly calls: string[] = [];
  readonly preflightSteps: PreflightStep[] = [];
  readonly snapshotSteps: SnapshotStep[] = [];
  readonly streamSteps: StreamStep[] = [];
  /** Stops the capture once the stream runs (from the test). */
  onStreaming: () => void = () => undefined;
  /** What the last snapshot call got. */
  lastSnapshot: { context: SnapshotContext; resumeFrom: SnapshotResume<number> | undefined } | undefined;

  isTransient(error: unknown): boolean {
    return (error as { code?: unknown }).code === 'ECONNREFUSED';
  }

  async preflight(from: number | undefined, _context: CaptureContext): Promise<string> {
    this.calls.push(`preflight ${from ?? '-'}`);
    await this.preflightSteps.shift()?.(from);
    return 'prepared';
  }

  async snapshot(
    prepared: string,
    sink: ChangeSink,
    context: SnapshotContext,
    resumeFrom?: SnapshotResume<number>,
  ): Promise<number> {
    expect(prepared).toBe('prepared');
    this.lastSnapshot = { context, resumeFrom };
    this.calls.push(
      resumeFrom ? `snapshot resume ${resumeFrom.from} after ${resumeFrom.progress.rows}` : 'snapshot',
    );
    const step = this.snapshotSteps.shift();
    if (step) return step(sink);
    await sink.append({ ...row(1), op: 'r' });
    await sink.append({ ...row(2), op: 'r' });
    await sink.commit({ position: { n: 1 }, commitTsMs: 0, snapshot: true });
    return 1;
  }

  async stream(prepared: string, from: number, sink: ChangeSink, context: StreamContext): Promise<void> {
    expect(prepared).toBe('prepared');
    this.calls.push(`stream ${from}`);
    const step = this.streamSteps.shift();
    if (step) return step(from, sink, context);
    context.streaming();
    this.onStreaming();
    await untilStopped(context.signal);
  }
}

/** A RecordingSink whose stored position is its last commit's, and whose calls can fail like Kafka's. */
class FakeSink extends RecordingSink {
  /** After a failure every call rejects until abort(), as KafkaChangeSink does. */
  failing: Error | undefined;
  /** abort() fails this many times first (the broker is still down). */
  abortFailures = 0;
  /** The next commit is stored, then reported failed: its reply was lost in an outage. */
  failAfterStoring = false;

  override async append(change: RowChange): Promise<void> {
    if (this.failing) throw this.failing;
    await super.append(change);
  }

  override async commit(...args: Parameters<RecordingSink['commit']>): Promise<void> {
    if (this.failing) {
      this.pending = [];
      throw this.failing;
    }
    await super.commit(...args);
    if (this.failAfterStoring) {
      this.failAfterStoring = false;
      this.failing = kafkaDown();
      throw this.failing;
    }
  }

  override abort(): void {
    if (this.abortFailures > 0) {
      this.abortFailures -= 1;
      throw kafkaDown();
    }
    super.abort();
    this.failing = undefined;
  }
}

/**
 * runCapture with a fake clock, a recorded log and readiness; `stop()` ends it.
 * `stored`: the position the sink holds at start.
 */
function harness(
  connector: FakeConnector,
  {
    target,
    stored,
    capturedRows,
  }: {
    target?: CaptureTarget | (() => Promise<CaptureTarget>);
    stored?: SourcePosition;
    capturedRows?: CapturedRows;
  } = {},
) {
  const sink = new FakeSink();
  if (stored) sink.transactions.push({ changes: [], info: { position: stored, commitTsMs: 0 } });
  const controller = new AbortController();
  const sleeps: number[] = [];
  const lines: { level: number; msg: string; phase?: string }[] = [];
  const readiness: [boolean, string | undefined][] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  let loads = 0;
  const loadOffset = async (): Promise<SourcePosition | undefined> => {
    loads += 1;
    return sink.lastPosition();
  };
  const done = runCapture(connector, target ?? { sink, loadOffset, capturedRows }, {
    signal: controller.signal,
    logger,
    sinkName: 'Kafka',
    backoff: { initialMs: 100, maxMs: 1_000, random: () => 0.5 },
    sleep: async (ms) => void sleeps.push(ms),
    onReadiness: (ready, reason) => void readiness.push([ready, reason]),
  });
  return {
    sink,
    loadOffset,
    done,
    sleeps,
    readiness,
    stop: () => controller.abort(),
    warnings: () => lines.filter((l) => l.level === 40),
    errors: () => lines.filter((l) => l.level >= 50),
    loads: () => loads,
  };
}

/** Stops the capture as soon as it streams for the `n`th time. */
function stopAtStream(connector: FakeConnector, run: { stop(): void }, n = 1): void {
  let seen = 0;
  connector.onStreaming = () => {
    seen += 1;
    if (seen === n) run.stop();
  };
}

describe('connectors > runCapture > lifecycle', () => {
  it('snapshots on a first start, then streams from the snapshot position until stopped', async () => {
    const connector = new FakeConnector();
    const run = harness(connector);
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual(['preflight -', 'snapshot', 'stream 1']);
    expect(run.sink.changes().map((c) => c.after?.id)).toEqual([1, 2]);
    expect(run.readiness).toEqual([
      [false, 'taking a snapshot'],
      [true, undefined],
    ]);
    expect(run.sleeps).toEqual([]);
    expect(run.warnings()).toEqual([]);
  });

  it('streams from the stored position without a snapshot', async () => {
    const connector = new FakeConnector();
    const run = harness(connector, { stored: { n: 7 } });
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual(['preflight 7', 'stream 7']);
  });

  it('resumes a snapshot cut short from its stored progress, with the stream position it recorded', async () => {
    const connector = new FakeConnector();
    const progress = { ...newSnapshotProgress({ estimated: 10, startedAtMs: 1, replace: false }), rows: 4 };
    const run = harness(connector, { stored: snapshotInProgressPosition({ n: 3 }, progress) });
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual(['preflight 3', 'snapshot resume 3 after 4', 'stream 1']);
    expect(connector.lastSnapshot?.resumeFrom?.progress).toEqual(progress);
    expect(connector.lastSnapshot?.context.capturedRows).toBeUndefined();
    expect(run.readiness[0]).toEqual([false, 'taking a snapshot: 4 of ~10 rows (40 %)']);
  });

  it('takes a snapshot replacing the captured rows when one was requested, from no position', async () => {
    const connector = new FakeConnector();
    const capturedRows: CapturedRows = { liveRowsBefore: async () => new Map() };
    const run = harness(connector, { stored: snapshotRequestedPosition(5), capturedRows });
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual(['preflight -', 'snapshot', 'stream 1']);
    expect(connector.lastSnapshot?.context.capturedRows).toBe(capturedRows);
  });

  it('resumes after the last committed chunk when a snapshot fails mid-way', async () => {
    const connector = new FakeConnector();
    connector.snapshotSteps.push(async (sink) => {
      const progress = { ...newSnapshotProgress({ estimated: 4, startedAtMs: 1, replace: false }), rows: 2 };
      await sink.append({ ...row(1), op: 'r' });
      await sink.append({ ...row(2), op: 'r' });
      await sink.commit({
        position: snapshotInProgressPosition({ n: 2 }, progress),
        commitTsMs: 0,
        snapshot: true,
      });
      await sink.append({ ...row(3), op: 'r' });
      throw refused();
    });
    const run = harness(connector);
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual([
      'preflight -',
      'snapshot',
      'preflight 2',
      'snapshot resume 2 after 2',
      'stream 1',
    ]);
    // The half chunk was dropped; the first chunk stays.
    expect(run.sink.aborts).toBe(1);
    expect(run.sink.changes().map((c) => c.after?.id)).toEqual([1, 2, 1, 2]);
  });

  it('reports each committed chunk: readiness and progress', async () => {
    const connector = new FakeConnector();
    connector.snapshotSteps.push(async (sink) => {
      const progress = { ...newSnapshotProgress({ estimated: 4, startedAtMs: 1, replace: false }), rows: 2 };
      await sink.commit({
        position: snapshotInProgressPosition({ n: 2 }, progress),
        commitTsMs: 0,
        snapshot: true,
      });
      connector.lastSnapshot?.context.progress(progress);
      await sink.commit({ position: { n: 2 }, commitTsMs: 0, snapshot: true });
      return 2;
    });
    const run = harness(connector);
    stopAtStream(connector, run);
    await run.done;
    expect(connector.lastSnapshot?.context.chunkRows).toBe(10_000);
    expect(run.readiness).toEqual([
      [false, 'taking a snapshot'],
      [false, 'taking a snapshot: 2 of ~4 rows (50 %)'],
      [true, undefined],
    ]);
  });
});

describe('connectors > runCapture > schema history', () => {
  it('reads the stored history before every attempt and hands it to each phase', async () => {
    const connector = new FakeConnector();
    const seen: (readonly unknown[] | undefined)[] = [];
    connector.preflight = async (from, context) => {
      connector.calls.push(`preflight ${from ?? '-'}`);
      seen.push(context.schemaHistory);
      return 'prepared';
    };
    connector.streamSteps.push(async (_from, sink, context) => {
      seen.push(context.schemaHistory);
      sink.recordSchema?.({ position: { n: 2 }, table: TABLE });
      await sink.commit({ position: { n: 2 }, commitTsMs: 0 });
      throw refused();
    });
    const sink = new FakeSink();
    const run = harness(connector, {
      target: {
        sink,
        loadOffset: async () => sink.lastPosition(),
        loadSchemaHistory: async () => [...sink.schemaHistory],
      },
    });
    stopAtStream(connector, run);
    await run.done;
    // The first attempt found none; the second, what the first committed.
    expect(seen).toEqual([[], [], [{ position: { n: 2 }, table: TABLE }]]);
  });
});

describe('connectors > runCapture > retriable failures', () => {
  it('waits out a database that refuses connections at start: one warn line per attempt, not ready', async () => {
    const connector = new FakeConnector();
    for (let i = 0; i < 3; i++)
      connector.preflightSteps.push(() => {
        throw refused();
      });
    const run = harness(connector);
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual([
      'preflight -',
      'preflight -',
      'preflight -',
      'preflight -',
      'snapshot',
      'stream 1',
    ]);
    // Exponential with jitter (random 0.5: three quarters of the planned wait).
    expect(run.sleeps).toEqual([75, 150, 300]);
    expect(run.warnings()).toHaveLength(3);
    expect(run.warnings().every((l) => l.phase === 'preflight')).toBe(true);
    expect(run.errors()).toEqual([]);
    expect(run.readiness.slice(0, 3)).toEqual(
      Array(3).fill([false, 'connecting to the database: connect ECONNREFUSED 127.0.0.1:1']),
    );
    expect(run.readiness.at(-1)).toEqual([true, undefined]);
    expect(run.sink.aborts).toBe(0);
  });

  it('aborts a snapshot cut short, then snapshots again from the start', async () => {
    const connector = new FakeConnector();
    connector.snapshotSteps.push(async (sink) => {
      await sink.append({ ...row(1), op: 'r' });
      throw refused();
    });
    const run = harness(connector);
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual(['preflight -', 'snapshot', 'preflight -', 'snapshot', 'stream 1']);
    expect(run.sink.aborts).toBe(1);
    expect(run.sink.changes().map((c) => c.after?.id)).toEqual([1, 2]);
    expect(run.warnings().map((l) => l.phase)).toEqual(['snapshot']);
  });

  it('resumes a lost stream from the stored position, dropping the open transaction', async () => {
    const connector = new FakeConnector();
    connector.streamSteps.push(async (_from, sink, context) => {
      context.streaming();
      await sink.append(row(3));
      await sink.commit({ position: { n: 5 }, commitTsMs: 0 });
      await sink.append(row(4));
      throw new RowkubeError(ErrorCode.SOURCE_CONNECTION, 'binlog connection failed', true);
    });
    const run = harness(connector);
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual(['preflight -', 'snapshot', 'stream 1', 'preflight 5', 'stream 5']);
    expect(run.sink.aborts).toBe(1);
    expect(run.sink.pending).toEqual([]);
    expect(run.readiness).toEqual([
      [false, 'taking a snapshot'],
      [true, undefined],
      [false, 'connecting to the database: ROWKUBE_ERR_SOURCE_CONNECTION: binlog connection failed'],
      [true, undefined],
    ]);
  });

  it('does not abort the sink after a loss between transactions', async () => {
    const connector = new FakeConnector();
    connector.streamSteps.push(async (_from, sink) => {
      await sink.append(row(3));
      await sink.commit({ position: { n: 5 }, commitTsMs: 0 });
      throw refused();
    });
    const run = harness(connector);
    stopAtStream(connector, run);
    await run.done;
    expect(run.sink.aborts).toBe(0);
    expect(connector.calls.at(-1)).toBe('stream 5');
  });

  it('recovers a sink that failed (Kafka away): abort, then resume from what it stored', async () => {
    const connector = new FakeConnector();
    connector.streamSteps.push(async (_from, sink, context) => {
      context.streaming();
      await sink.append(row(3));
      await sink.commit({ position: { n: 5 }, commitTsMs: 0 });
      run.sink.failing = kafkaDown();
      await sink.append(row(4));
    });
    const run = harness(connector);
    // abort() itself fails twice more: the broker is still down.
    run.sink.abortFailures = 2;
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual(['preflight -', 'snapshot', 'stream 1', 'preflight 5', 'stream 5']);
    expect(run.warnings().map((l) => l.phase)).toEqual(['sink', 'sink', 'sink']);
    expect(run.readiness[2]).toEqual([false, 'waiting for Kafka: ROWKUBE_ERR_KAFKA: the broker went away']);
    expect(run.sink.aborts).toBe(1);
    expect(run.sink.failing).toBeUndefined();
  });

  it('takes the sink’s failure as the cause, whatever the connector made of it', async () => {
    const connector = new FakeConnector();
    connector.streamSteps.push(async (_from, sink) => {
      run.sink.failing = new Error('a bug in the sink');
      await sink.commit({ position: { n: 5 }, commitTsMs: 0 }).catch(() => undefined);
      // The connector reports a retriable error of its own.
      throw refused();
    });
    const run = harness(connector);
    await expect(run.done).rejects.toThrow('a bug in the sink');
    expect(run.sleeps).toEqual([]);
  });

  it('waits for the sink to open (Kafka down at start)', async () => {
    const connector = new FakeConnector();
    let opens = 0;
    const sink = new FakeSink();
    const open = async (): Promise<CaptureTarget> => {
      opens += 1;
      if (opens < 4) throw kafkaDown();
      return { sink, loadOffset: async () => sink.lastPosition() };
    };
    const run = harness(connector, { target: open });
    stopAtStream(connector, run);
    await run.done;
    expect(opens).toBe(4);
    expect(run.sleeps).toEqual([75, 150, 300]);
    expect(run.warnings().map((l) => l.phase)).toEqual(['sink', 'sink', 'sink']);
    expect(run.readiness[0]).toEqual([false, 'waiting for Kafka: ROWKUBE_ERR_KAFKA: the broker went away']);
    expect(connector.calls).toEqual(['preflight -', 'snapshot', 'stream 1']);
  });

  it('retries reading the stored position', async () => {
    const connector = new FakeConnector();
    const sink = new FakeSink();
    let reads = 0;
    const loadOffset = async () => {
      reads += 1;
      if (reads === 1) throw kafkaDown();
      return sink.lastPosition();
    };
    const run = harness(connector, { target: { sink, loadOffset } });
    stopAtStream(connector, run);
    await run.done;
    expect(reads).toBe(2);
    expect(run.warnings().map((l) => l.phase)).toEqual(['sink']);
  });

  it('restarts a stream that ended without an error', async () => {
    const connector = new FakeConnector();
    connector.streamSteps.push(async () => undefined);
    const run = harness(connector);
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual(['preflight -', 'snapshot', 'stream 1', 'preflight 1', 'stream 1']);
    expect(run.warnings()).toHaveLength(1);
  });
});

describe('connectors > runCapture > backoff', () => {
  it('doubles the wait up to the cap, and starts over after progress', async () => {
    const connector = new FakeConnector();
    for (let i = 0; i < 6; i++)
      connector.preflightSteps.push(() => {
        throw refused();
      });
    // Progress (a commit the sink acknowledged), then the connection is lost twice more.
    connector.streamSteps.push(
      async (_from, sink) => {
        await sink.commit({ position: { n: 2 }, commitTsMs: 0 });
        throw refused();
      },
      async () => {
        throw refused();
      },
    );
    const run = harness(connector);
    stopAtStream(connector, run);
    await run.done;
    // 100, 200, 400, 800, 1000 (cap), 1000 — then after progress 100, 200 again.
    expect(run.sleeps).toEqual([75, 150, 300, 600, 750, 750, 75, 150]);
  });

  it('starts over once the stream reads, even before a commit', async () => {
    const connector = new FakeConnector();
    // Streams from a stored position: no snapshot, whose commit would count as progress.
    connector.preflightSteps.push(
      () => {
        throw refused();
      },
      () => {
        throw refused();
      },
    );
    connector.streamSteps.push(async (_from, _sink, context) => {
      context.streaming();
      throw refused();
    });
    const run = harness(connector, { stored: { n: 1 } });
    stopAtStream(connector, run);
    await run.done;
    expect(run.sleeps).toEqual([75, 150, 75]);
  });
});

describe('connectors > runCapture > positions', () => {
  it('never resumes behind a position the sink acknowledged', async () => {
    const connector = new FakeConnector();
    connector.streamSteps.push(async (_from, sink) => {
      await sink.commit({ position: { n: 9 }, commitTsMs: 0 });
      throw refused();
    });
    const sink = new FakeSink();
    // A stale store: it still reports the snapshot's position after the commit at 9.
    let stale: SourcePosition | undefined;
    const loadOffset = async () => stale ?? sink.lastPosition();
    sink.beforeCommit = (info) => {
      if (info.snapshot) stale = info.position;
    };
    const run = harness(connector, { target: { sink, loadOffset } });
    stopAtStream(connector, run);
    await run.done;
    expect(connector.calls).toEqual(['preflight -', 'snapshot', 'stream 1', 'preflight 9', 'stream 9']);
  });

  it('moves forward to a stored position past the last acknowledged commit', async () => {
    const connector = new FakeConnector();
    connector.streamSteps.push(async (_from, sink) => {
      await sink.append(row(3));
      run.sink.failAfterStoring = true;
      await sink.commit({ position: { n: 4 }, commitTsMs: 0 });
    });
    const run = harness(connector);
    stopAtStream(connector, run);
    await run.done;
    // Position 4 was stored though its commit failed: resuming behind it would deliver row 3 twice.
    expect(connector.calls).toEqual(['preflight -', 'snapshot', 'stream 1', 'preflight 4', 'stream 4']);
    expect(run.sink.changes().map((c) => c.after?.id)).toEqual([1, 2, 3]);
  });
});

describe('connectors > runCapture > failures that end capture', () => {
  it('rejects a misconfiguration found by preflight, without retrying', async () => {
    const connector = new FakeConnector();
    connector.preflightSteps.push(() => {
      throw new RowkubeError(ErrorCode.BINLOG_FORMAT, 'binlog_format is STATEMENT');
    });
    const run = harness(connector);
    await expect(run.done).rejects.toThrow('ROWKUBE_ERR_BINLOG_FORMAT');
    expect(run.sleeps).toEqual([]);
    expect(connector.calls).toEqual(['preflight -']);
  });

  it('rejects a purged position, a missing table and a stored position of another connector', async () => {
    for (const error of [
      new RowkubeError(ErrorCode.POSITION_PURGED, 'the slot is gone'),
      new RowkubeError(ErrorCode.TABLE_NOT_FOUND, 'no table t'),
    ]) {
      const connector = new FakeConnector();
      connector.streamSteps.push(async () => {
        throw error;
      });
      await expect(harness(connector).done).rejects.toBe(error);
    }
    const run = harness(new FakeConnector(), { stored: { file: 'mariadb-bin.000001', pos: 4 } });
    await expect(run.done).rejects.toThrow('not a fake position');
  });

  it('never retries a programming error, even one that looks transient', async () => {
    const connector = new FakeConnector();
    connector.streamSteps.push(async () => {
      throw Object.assign(new TypeError('x is not a function'), { code: 'ECONNREFUSED' });
    });
    const run = harness(connector);
    await expect(run.done).rejects.toThrow(TypeError);
    expect(run.sleeps).toEqual([]);
  });

  it('rejects a retriable error of a sink it cannot abort mid-transaction', async () => {
    const connector = new FakeConnector();
    connector.streamSteps.push(async (_from, sink) => {
      await sink.append(row(3));
      throw refused();
    });
    const recording = new RecordingSink();
    const sink: ChangeSink = {
      append: (change) => recording.append(change),
      commit: (info) => recording.commit(info),
    };
    const run = harness(connector, { target: { sink, loadOffset: async () => recording.lastPosition() } });
    await expect(run.done).rejects.toThrow(/cannot drop the 1 changes/);
  });
});

describe('connectors > runCapture > stop', () => {
  it('stops during a backoff without another attempt', async () => {
    const connector = new FakeConnector();
    connector.preflightSteps.push(() => {
      throw refused();
    });
    const controller = new AbortController();
    const sink = new FakeSink();
    await runCapture(
      connector,
      { sink, loadOffset: async () => undefined },
      {
        signal: controller.signal,
        logger: pino({ level: 'silent' }),
        sleep: async () => controller.abort(),
      },
    );
    expect(connector.calls).toEqual(['preflight -']);
  });

  it('resolves when stopped mid-phase, whatever the phase throws then, and drops a half transaction', async () => {
    const connector = new FakeConnector();
    const controller = new AbortController();
    connector.streamSteps.push(async (_from, sink) => {
      await sink.append(row(3));
      controller.abort();
      throw new Error('the connection was closed by the stop');
    });
    const sink = new FakeSink();
    await runCapture(
      connector,
      { sink, loadOffset: async () => sink.lastPosition() },
      { signal: controller.signal, logger: pino({ level: 'silent' }) },
    );
    expect(sink.aborts).toBe(1);
    expect(sink.pending).toEqual([]);
  });
});

describe('connectors > runCapture > isRetriableCaptureError', () => {
  const connector = new FakeConnector();
  it('lets a RowkubeError decide, never retries a bug, asks the connector about the rest', () => {
    expect(isRetriableCaptureError(kafkaDown(), connector)).toBe(true);
    expect(isRetriableCaptureError(new RowkubeError(ErrorCode.CONFIG, 'x'), connector)).toBe(false);
    expect(isRetriableCaptureError(new RangeError('x'), connector)).toBe(false);
    expect(isRetriableCaptureError(refused(), connector)).toBe(true);
    expect(isRetriableCaptureError(new Error('x'), connector)).toBe(false);
    // A sink's errors are not the connector's to judge.
    expect(isRetriableCaptureError(refused())).toBe(false);
  });
});
