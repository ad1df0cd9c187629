import type { Logger } from 'pino';
import { abortableSleep } from '../core/abortable-sleep.js';
import { toKafkaError } from './kafka-errors.js';

// How the processor and the sink survive trouble: run until the signal
// aborts; a retriable failure (broker trouble, a failed transaction) drops the
// attempt's in-memory state and starts over from the committed offsets after
// a pause; a non-retriable one (fenced, a bug) rejects.

/** What a restarting stage reports about itself: a part of the pipeline's metrics port. */
export interface StageReports<S extends string> {
  /** The component named after the stage is running (ready) or not, with the reason for people. */
  componentState(component: string, ready: boolean, reason?: string): void;
  /** A failure of the stage, by its ROWKUBE_ERR_* code. */
  stageFailed(stage: S, error: unknown): void;
}

export interface RestartingStageOptions<S extends string = string> {
  stage: S;
  signal: AbortSignal;
  logger: Logger;
  metrics?: StageReports<S> | undefined;
  /** Pause before restarting after a retriable failure. Default 1,000 ms. */
  restartDelayMs?: number | undefined;
  /** Logged on a restart, e.g. 'rebuilding from the committed offsets'. */
  restarting: string;
}

export async function runRestarting<S extends string>(
  options: RestartingStageOptions<S>,
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
