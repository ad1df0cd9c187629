import type { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { createKafka } from '../../kafka/index.js';
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
}

/**
 * `rowkube replay --config F --kubeconfig K [--at T]`: rebuilds every live
 * node into the cluster of K from `<prefix>.desired`. Progress lines and logs
 * go to stderr, the summary to stdout. Exits 0 when every node was applied, 1
 * when some failed or the replay was stopped.
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
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, logger: log });
  const kube = openKubeClient(request.kubeconfig, config.kubernetes.concurrency * 2);
  try {
    const report = await runReplay({
      config,
      kafka,
      kube,
      logger: log,
      signal,
      ...(request.at === undefined ? {} : { atMs: request.at }),
      onProgress: (line) => err.write(`${line}\n`),
    });
    out.write(formatReplaySummary(report, request.kubeconfig));
    return report.failures.length === 0 && !report.stopped ? 0 : 1;
  } finally {
    kube.close();
  }
}
