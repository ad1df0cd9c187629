import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { OpenedCaptureSink } from '../../src/app/capture-sources.js';
import { startPipeline } from '../../src/app/start-pipeline.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import type { KafkaChangeSinkStats } from '../../src/kafka/index.js';
import { waitFor } from '../../support/wait-for.js';
import { CountingSink } from './counting-sink.js';
import { once } from './interrupt.js';

// One in-process capture for the capture bench, started as `rowkube capture`
// starts it (the pipeline assembly, src/app/start-pipeline.ts, with the
// capture stage only and no metrics), which the bench measures from inside:
// the assembly's sink seam (wrapSink) puts a counting sink
// (counting-sink.ts) between the connector and the source's sink.

export interface CaptureRun {
  readonly sink: CountingSink;
  /** performance.now() when the source's Kafka sink had connected: the connector starts from here. */
  readonly startedAt: number;
  /** The source's Kafka sink's counters (Kafka transactions among them). */
  stats(): Readonly<KafkaChangeSinkStats>;
  /** Waits for `predicate` (WaitTimeoutError after timeoutMs); rejects early if the capture stops on its own. */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Stops the pipeline: the connector settles and the sink closes. */
  stop(): Promise<void>;
}

export interface StartCaptureOptions {
  /** One source (bench-config.ts captureBenchConfig). */
  config: RowkubeConfig;
  logger: Logger;
}

/** Connecting to Kafka, creating the source's topics, fencing: seconds on the local stack. */
const SINK_TIMEOUT_MS = 60_000;

/** Starts capture; resolves once the source's sink connected, with the counting sink in place. */
export async function startCapture({ config, logger }: StartCaptureOptions): Promise<CaptureRun> {
  let opened: { sink: CountingSink; startedAt: number; kafka: OpenedCaptureSink } | undefined;
  const pipeline = startPipeline(config, {
    stages: ['capture'],
    metrics: false,
    logger,
    capture: {
      wrapSink: (inner, kafka) => {
        const sink = new CountingSink(inner);
        opened = { sink, startedAt: performance.now(), kafka };
        return sink;
      },
    },
  });
  // A capture that ends by itself turns every wait into its cause: the
  // source's failure rather than "every source failed".
  const stoppedEarly = pipeline.failed.catch((error: unknown) => {
    throw error instanceof Error && error.cause !== undefined ? error.cause : error;
  });
  stoppedEarly.catch(() => undefined);
  const stop = once(async () => void (await pipeline.stop()));
  const started = await waitFor('the source sink to connect to Kafka', () => opened, {
    timeoutMs: SINK_TIMEOUT_MS,
    intervalMs: 20,
    abandon: stoppedEarly,
  }).catch(async (error: unknown) => {
    await stop().catch(() => undefined);
    throw error;
  });
  return {
    sink: started.sink,
    startedAt: started.startedAt,
    stats: () => started.kafka.stats(),
    until: (predicate, timeoutMs, what) =>
      waitFor(what, () => (predicate() ? true : undefined), {
        timeoutMs,
        intervalMs: 20,
        abandon: stoppedEarly,
      }).then(() => undefined),
    // Once: the normal path and an interrupt may both stop it.
    stop,
  };
}
