import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { KafkaChangeSink, type KafkaChangeSinkStats } from '../../src/kafka/index.js';
import { waitFor } from '../../support/wait-for.js';
import type { BenchDatabase } from './bench-database.js';
import { CountingSink } from './counting-sink.js';
import { once } from './interrupt.js';

// One in-process capture for the capture bench, which measures inside it: the
// Kafka sink wrapped in a counting sink (counting-sink.ts), which the pipeline
// assembly (src/app/start-pipeline.ts) has no place for. Otherwise wired as
// capture-sources.ts wires it: the sink first (it fences an earlier instance
// of the source), then the connector with loadOffset = sink.loadPosition().

export interface CaptureRun {
  readonly sink: CountingSink;
  /** performance.now() when the connector was started (after the sink connected). */
  readonly startedAt: number;
  stats(): Readonly<KafkaChangeSinkStats>;
  /** Waits for `predicate` (WaitTimeoutError after timeoutMs); rejects early if the capture stops on its own. */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Aborts the connector, lets it settle, closes the sink. */
  stop(): Promise<void>;
}

export interface StartCaptureOptions {
  db: BenchDatabase;
  kafka: Kafka;
  prefix: string;
  source: string;
  logger: Logger;
}

export async function startCapture({
  db,
  kafka,
  prefix,
  source,
  logger,
}: StartCaptureOptions): Promise<CaptureRun> {
  const kafkaSink = await KafkaChangeSink.create({ kafka, prefix, source, logger });
  const sink = new CountingSink(kafkaSink);
  const controller = new AbortController();
  const startedAt = performance.now();
  let ended: unknown;
  const running = db
    .capture({ sink, loadOffset: () => kafkaSink.loadPosition(), signal: controller.signal, logger })
    .then(
      () => {
        ended ??= new Error(`${db.kind} capture returned before it was stopped`);
      },
      (error: unknown) => {
        ended ??= error;
      },
    );
  // A capture that ends by itself turns every wait into that error.
  const stoppedEarly = running.then(() => {
    if (!controller.signal.aborted) throw ended;
  });
  stoppedEarly.catch(() => undefined);
  return {
    sink,
    startedAt,
    stats: () => kafkaSink.stats,
    until: (predicate, timeoutMs, what) =>
      waitFor(what, () => (predicate() ? true : undefined), {
        timeoutMs,
        intervalMs: 20,
        abandon: stoppedEarly,
      }).then(() => undefined),
    // Once: the normal path and an interrupt may both stop it.
    stop: once(async () => {
      controller.abort();
      await running;
      await kafkaSink.close();
    }),
  };
}
