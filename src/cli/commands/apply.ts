import pino, { type Logger } from 'pino';
import { createKafka } from '../../kafka/index.js';
import { sinkLagGroup, startObservability } from '../../observability/index.js';
import { openKubeClient } from '../../sink/kube/index.js';
import { runSink } from '../../sink/sink-runner.js';
import { loadConfig } from '../load-config.js';
import { shutdownSignal } from '../shutdown-signal.js';

/**
 * `rowkube apply --config F`: applies `<prefix>.desired` to the cluster and
 * audits every action in `<prefix>.audit` until SIGTERM/SIGINT. Exits 0 after
 * a clean shutdown (handled records committed).
 */
export async function applyCommand(
  configPath: string,
  logger: Logger = pino({ name: 'rowkube' }),
): Promise<number> {
  const config = loadConfig(configPath);
  const signal = shutdownSignal((s) => logger.info({ signal: s }, 'stopping: committing what is handled'));
  const log = logger.child({ component: 'sink' });
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, logger: log });
  const observability = await startObservability({
    config,
    components: ['sink'],
    lagGroups: [sinkLagGroup(config)],
    logger: logger.child({ component: 'observability' }),
  });
  const kube = openKubeClient(config.kubernetes.kubeconfig, config.kubernetes.concurrency * 2);
  try {
    await runSink({ config, kafka, kube, logger: log, signal, metrics: observability.metrics });
  } finally {
    kube.close();
    await observability.close();
  }
  return 0;
}
