import type { Logger } from 'pino';
import type { PipelineMetrics, StageName } from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import { toKafkaError } from './kafka-errors.js';

// How the processor and the sink survive trouble: run until the signal
// aborts; a retriable failure (broker trouble, a failed transaction) drops the
// attempt's in-memory state and starts over from the committed offsets after
// a pause; a non-retriable one (fenced, a bug) rejects.

export interface RestartingStageOptions {
  stage: StageName;
  signal: AbortSignal;
  logger: Logger;
  metrics?: Pick<PipelineMetrics, 'componentState' | 'stageFailed'> | undefined;
  /** Pause before restarting after a retriable failure. Default 1,000 ms. */
  restartDelayMs?: number | undefined;
  /** Logged on a restart, e.g. 'rebuilding from the committed offsets'. */
  restarting: string;
}

export async function runRestarting(
  options: RestartingStageOptions,
  attempt: () => Promise<void>,
): Promise<void> {
  const { stage, signal, logger, metrics } = options;
  while (!signal.aborted) {
    try {
      await attempt();
      return;
    } catch (error) {
      if (signal.aborted) return;
      const failure = toKafkaError(`the ${stage} failed`, error);
      metrics?.stageFailed(stage, failure);
      metrics?.componentState(
        stage,
        false,
        failure.retriable ? `restarting: ${failure.message}` : `stopped: ${failure.message}`,
      );
      if (!failure.retriable) throw failure;
      logger.warn({ err: failure }, `${stage} failed; ${options.restarting}`);
      await abortableSleep(options.restartDelayMs ?? 1_000, signal);
    }
  }
}
