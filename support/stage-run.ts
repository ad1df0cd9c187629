import pino from 'pino';
import type { PipelineStage } from '../src/app/pipeline-stages.js';
import { type StartPipelineOptions, startPipeline } from '../src/app/start-pipeline.js';
import type { RowkubeConfig } from '../src/core/config/config-schema.js';

// Stages run in the test's own process, assembled as the CLI assembles them
// (src/app/start-pipeline.ts), without the metrics server: several may run
// side by side, and a test looks at topics and the cluster, not at /metrics.

export interface StageRun {
  /** Rejects as soon as a stage stops by itself (it failed for good); never resolves. */
  died: Promise<never>;
  /** Stops the stages; rejects with the failure that stopped them, if one did. */
  stop(): Promise<void>;
}

export function startStages(
  config: RowkubeConfig,
  stages: readonly PipelineStage[],
  options: Omit<StartPipelineOptions, 'stages'> = {},
): StageRun {
  const pipeline = startPipeline(config, {
    logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
    metrics: false,
    ...options,
    stages,
  });
  return {
    died: pipeline.failed,
    stop: async () => {
      const result = await pipeline.stop();
      if (result.error !== undefined) throw result.error;
    },
  };
}
