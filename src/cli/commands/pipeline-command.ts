import type { Logger } from 'pino';
import type { PipelineStage } from '../../app/pipeline-stages.js';
import { type PipelineResult, startPipeline } from '../../app/start-pipeline.js';
import { checkKafkaAccess } from '../../kafka/index.js';
import { loadConfig } from '../load-config.js';
import { shutdownSignal } from '../shutdown-signal.js';

// What `rowkube run`, `capture`, `process` and `apply` share: load the
// configuration, start the pipeline's stages until SIGTERM/SIGINT, and hand
// back how they ended.

export interface PipelineCommandOptions {
  stages: readonly PipelineStage[];
  /** Logged on the first signal: what the stages do before the process exits. */
  stopping: string;
  logger: Logger;
  instance?: string;
}

export async function runPipelineCommand(
  configPath: string,
  options: PipelineCommandOptions,
): Promise<PipelineResult> {
  const { logger } = options;
  const config = loadConfig(configPath);
  await checkKafkaAccess(config.kafka);
  const signal = shutdownSignal((s) => logger.info({ signal: s }, options.stopping));
  return startPipeline(config, {
    stages: options.stages,
    signal,
    logger,
    ...(options.instance === undefined ? {} : { instance: options.instance }),
  }).done;
}
