import type { Logger } from 'pino';
import type { PipelineMetrics } from '../../contracts/index.js';
import { abortableSleep } from '../../core/abortable-sleep.js';
import { RetryBackoff } from '../../core/retry-backoff.js';
import { type KubeApi, KubeApiError } from '../kube/index.js';

// While the API server is away, every node that touches it fails. Left to
// the scheduler, each node would retry on its own doubling pause: a warn line
// per node per attempt, and after a long outage nodes that sleep up to
// retry.maxSeconds past the server's return. Instead the first node to see
// the outage starts one probe loop (backoff with jitter, one warn line per
// probe, the sink not ready with the reason), and every failed node retries
// as soon as a probe gets an answer.

export const APISERVER = 'the Kubernetes API server';

/** No answer at all (refused, reset, timed out), or a gateway saying the server behind it is down. */
export function isApiserverUnreachable(error: unknown): boolean {
  if (!(error instanceof KubeApiError)) return false;
  const { status } = error;
  return status === undefined || status === 502 || status === 503 || status === 504;
}

/** For runRestarting's `unreachable`: names the API server when a failure shows it away. */
export function unreachableApiserver(error: unknown): string | undefined {
  return isApiserverUnreachable(error) ? APISERVER : undefined;
}

export interface ApiserverGateOptions {
  /** Any request: an answer of any status but 502–504 (even 403) means the server is back. */
  probe: () => Promise<unknown>;
  logger: Logger;
  /** Readiness of the stage: false with the reason while waiting, true once the server answers. */
  report: (ready: boolean, reason?: string) => void;
  /** Stops probing (the sink stops or restarts). */
  signal: AbortSignal;
  /** First pause between probes, ms; it doubles with jitter. Default 500. */
  initialMs?: number;
  /** Longest pause between probes, ms. Default 5,000: the server's return is noticed within seconds. */
  maxMs?: number;
}

export class ApiserverGate {
  private outage: Promise<void> | undefined;

  constructor(private readonly options: ApiserverGateOptions) {}

  /** The sink's gate: probes with a GET of the `default` namespace, reports as component `sink`. */
  static forSink(
    kube: KubeApi,
    options: { logger: Logger; signal: AbortSignal; metrics?: PipelineMetrics | undefined },
  ): ApiserverGate {
    return new ApiserverGate({
      probe: () => kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }),
      logger: options.logger,
      signal: options.signal,
      report: (ready, reason) => options.metrics?.componentState('sink', ready, reason),
    });
  }

  /**
   * Before a node retries after `error`: resolves at once unless the API
   * server is away (this error says so, or another node's did), then when it
   * answers again or `signal` aborts.
   */
  async beforeRetry(error: unknown, signal: AbortSignal): Promise<void> {
    if (this.outage === undefined && isApiserverUnreachable(error) && !this.options.signal.aborted) {
      this.outage = this.waitOut(error).finally(() => {
        this.outage = undefined;
      });
    }
    if (this.outage === undefined) return;
    const stopped = new AbortController();
    try {
      await Promise.race([
        this.outage,
        abortableSleep(Number.POSITIVE_INFINITY, AbortSignal.any([signal, stopped.signal])),
      ]);
    } finally {
      stopped.abort();
    }
  }

  private async waitOut(first: unknown): Promise<void> {
    const { logger, report, signal } = this.options;
    const backoff = new RetryBackoff({
      initialMs: this.options.initialMs ?? 500,
      maxMs: this.options.maxMs ?? 5_000,
    });
    let reason = messageOf(first);
    for (let attempt = 1; !signal.aborted; attempt += 1) {
      const retryInMs = backoff.next();
      report(false, `waiting for ${APISERVER}: ${reason}`);
      logger.warn({ reason, attempt, retryInMs }, `waiting for ${APISERVER}; nodes retry once it answers`);
      await abortableSleep(retryInMs, signal);
      if (signal.aborted) return;
      try {
        await this.options.probe();
      } catch (error) {
        if (isApiserverUnreachable(error)) {
          reason = messageOf(error);
          continue;
        }
      }
      logger.info({ attempts: attempt }, `${APISERVER} answers again: retrying the nodes that waited`);
      report(true);
      return;
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
