import type { Logger } from 'pino';
import type { PipelineMetrics, StageName } from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import { RetryBackoff } from '../core/retry-backoff.js';
import { isKafkaUnreachable, toKafkaError } from './kafka-errors.js';

// How the processor and the sink survive trouble: run until the signal
// aborts; a retriable failure (broker trouble, a failed transaction) drops the
// attempt's in-memory state and starts over from the committed offsets after
// a pause; a non-retriable one (fenced, a bug) rejects.
//
// A dependency that does not answer (Kafka, the Kubernetes API server) is
// waited out: the pause grows with jitter, each attempt logs one warn line,
// and /readyz says "waiting for Kafka: …" until an attempt gets through.

export interface RestartingStageOptions {
  stage: StageName;
  signal: AbortSignal;
  logger: Logger;
  metrics?: Pick<PipelineMetrics, 'componentState' | 'stageFailed'> | undefined;
  /** First pause before restarting after a retriable failure; it doubles, with jitter. Default 1,000 ms. */
  restartDelayMs?: number | undefined;
  /**
   * The longest pause between restarts. Default 5,000 ms: an attempt against
   * brokers that are away takes ~10 s by itself (kafkajs retries inside it).
   */
  maxRestartDelayMs?: number | undefined;
  /** Logged on a restart, e.g. 'rebuilding from the committed offsets'. */
  restarting: string;
  /**
   * Names a dependency other than Kafka that a failure shows unreachable
   * (e.g. 'the Kubernetes API server'), or undefined. Kafka is recognised
   * here.
   */
  unreachable?: ((error: unknown) => string | undefined) | undefined;
}

/** An attempt that ran this long was healthy: the next failure starts the backoff over. */
const HEALTHY_ATTEMPT_MS = 30_000;

export async function runRestarting(
  options: RestartingStageOptions,
  attempt: () => Promise<void>,
): Promise<void> {
  const { stage, signal, logger, metrics } = options;
  const initialMs = options.restartDelayMs ?? 1_000;
  const backoff = new RetryBackoff({
    initialMs,
    maxMs: Math.max(initialMs, options.maxRestartDelayMs ?? 5_000),
  });
  while (!signal.aborted) {
    const started = Date.now();
    try {
      await attempt();
      return;
    } catch (error) {
      if (signal.aborted) return;
      const failure = toKafkaError(`the ${stage} failed`, error);
      metrics?.stageFailed(stage, failure);
      const dependency = options.unreachable?.(error) ?? (isKafkaUnreachable(error) ? 'Kafka' : undefined);
      if (!failure.retriable) {
        metrics?.componentState(stage, false, `stopped: ${failure.message}`);
        throw failure;
      }
      if (Date.now() - started >= HEALTHY_ATTEMPT_MS) backoff.reset();
      const retryInMs = backoff.next();
      if (dependency === undefined) {
        metrics?.componentState(stage, false, `restarting: ${failure.message}`);
        logger.warn({ err: failure, retryInMs }, `${stage} failed; ${options.restarting}`);
      } else {
        metrics?.componentState(stage, false, `waiting for ${dependency}: ${failure.message}`);
        // The cause is the whole story here: no stack, one line per attempt.
        logger.warn(
          { reason: failure.message, retryInMs },
          `${stage} waiting for ${dependency}; ${options.restarting} once it answers`,
        );
      }
      await abortableSleep(retryInMs, signal);
    }
  }
}
