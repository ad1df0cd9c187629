import type { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { checkKafkaAccess, createKafka } from '../../kafka/index.js';
import { formatReplaySummary, runReplay } from '../../replay/index.js';
import { openKubeClient } from '../../sink/kube/index.js';
import { loadConfig } from '../load-config.js';
import { shutdownSignal } from '../shutdown-signal.js';

export interface ReplayRequest {
  config: string;
  /** The cluster to rebuild: always named, never the configured one by default. */
  kubeconfig: string;
  /** ms since the epoch; undefined rebuilds the current state. */
  at?: number;
  /** --wait: wait this long for every replayed node's objects to be ready; undefined does not wait. */
  waitTimeoutSeconds?: number;
}

/**
 * `rowkube replay --config F --kubeconfig K [--at T] [--wait [--wait-timeout S]]`:
 * rebuilds every live node into the cluster of K from `<prefix>.desired`,
 * then with --wait waits until their objects are ready. Progress lines and
 * logs go to stderr, the summary to stdout. Exits 0 when every node was
 * applied (and, with --wait, every object is ready), 1 when some failed, an
 * object was not ready in time, or the replay was stopped.
 */
export async function replayCommand(
  request: ReplayRequest,
  out: Writable = process.stdout,
  err: Writable = process.stderr,
  logger: Logger = pino({ name: 'rowkube', level: 'warn' }, pino.destination(2)),
): Promise<number> {
  const config = loadConfig(request.config);
  const signal = shutdownSignal((s) => logger.warn({ signal: s }, 'stopping the replay'));
  const log = logger.child({ component: 'replay' });
  await checkKafkaAccess(config.kafka);
  const kafka = createKafka({ ...config.kafka, logger: log });
  const kube = openKubeClient(request.kubeconfig, config.kubernetes.concurrency * 2);
  try {
    const report = await runReplay({
      config,
      kafka,
      kube,
      logger: log,
      signal,
      ...(request.at === undefined ? {} : { atMs: request.at }),
      ...(request.waitTimeoutSeconds === undefined
        ? {}
        : { waitTimeoutMs: request.waitTimeoutSeconds * 1_000 }),
      onProgress: (line) => err.write(`${line}\n`),
    });
    out.write(formatReplaySummary(report, request.kubeconfig));
    const { wait } = report;
    const waited = wait === undefined || (wait.notReady.length === 0 && !wait.stopped);
    // Asked to wait but stopped before the wait began: readiness is unknown.
    const waitMissing = request.waitTimeoutSeconds !== undefined && wait === undefined;
    return report.failures.length === 0 && !report.stopped && waited && !waitMissing ? 0 : 1;
  } finally {
    kube.close();
  }
}
