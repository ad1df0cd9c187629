import pino, { type Logger } from 'pino';
import { createKafka } from '../../kafka/index.js';
import { processorLagGroup, startObservability } from '../../observability/index.js';
import { runProcessor } from '../../processor/process-runner.js';
import { loadConfig } from '../load-config.js';
import { shutdownSignal } from '../shutdown-signal.js';

/**
 * `rowkube process --config F [--instance NAME]`: turns the change topics of every hub into
 * `<prefix>.desired` until SIGTERM/SIGINT. Exits 0 after a clean shutdown;
 * a failure that a restart of the processor cannot fix rejects (exit 1).
 */
export async function processCommand(
  configPath: string,
  instance: string | undefined,
  logger: Logger = pino({ name: 'rowkube' }),
): Promise<number> {
  const config = loadConfig(configPath);
  const signal = shutdownSignal((s) =>
    logger.info({ signal: s }, 'stopping: finishing the batch in progress'),
  );
  const log = logger.child({ component: 'processor' });
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, logger: log });
  const observability = await startObservability({
    config,
    components: ['processor'],
    lagGroups: [processorLagGroup(config)],
    logger: logger.child({ component: 'observability' }),
  });
  try {
    await runProcessor({
      config,
      kafka,
      logger: log,
      signal,
      metrics: observability.metrics,
      ...(instance ? { instance } : {}),
    });
  } finally {
    await observability.close();
  }
  return 0;
}
