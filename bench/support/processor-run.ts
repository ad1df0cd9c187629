import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import { runProcessor } from '../../src/processor/process-runner.js';
import { once } from './interrupt.js';

// One in-process processor, run as `rowkube process` runs it
// (src/cli/commands/process.ts): runProcessor until aborted. The bench sees
// it only from outside, through the topics, so that the figures stay valid
// whatever the processor does inside.

export interface ProcessorRun {
  /** performance.now() when runProcessor was called. */
  readonly startedAt: number;
  /** Rejects with the processor's error if it stops before stop() was called; never resolves. */
  readonly failed: Promise<never>;
  /** Aborts it and waits until the batch in progress is committed or aborted. */
  stop(): Promise<void>;
}

export function startProcessor(config: RowkubeConfig, kafka: Kafka, logger: Logger): ProcessorRun {
  const controller = new AbortController();
  const startedAt = performance.now();
  const running = runProcessor({ config, kafka, logger, signal: controller.signal });
  const failed = running.then(
    () => {
      if (!controller.signal.aborted) throw new Error('the processor returned before it was stopped');
      return new Promise<never>(() => undefined);
    },
    (error: unknown) => {
      if (controller.signal.aborted) return new Promise<never>(() => undefined);
      throw error;
    },
  );
  failed.catch(() => undefined);
  return {
    startedAt,
    failed,
    // Once: the normal path and an interrupt may both stop it.
    stop: once(async () => {
      controller.abort();
      await running.catch(() => undefined);
    }),
  };
}
