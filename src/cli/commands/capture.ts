import pino, { type Logger } from 'pino';
import { startObservability } from '../../observability/index.js';
import { loadConfig } from '../load-config.js';
import { shutdownSignal } from '../shutdown-signal.js';
import { captureComponent, captureSources } from './capture-sources.js';

/**
 * `rowkube capture --config F`: streams every configured source into Kafka
 * until SIGTERM/SIGINT. Sources run side by side; one that fails for good
 * (a misconfiguration) is reported and the others keep running. Exits 0 after
 * a clean shutdown, 1 if any source failed.
 */
export async function captureCommand(
  configPath: string,
  logger: Logger = pino({ name: 'rowkube' }),
): Promise<number> {
  const config = loadConfig(configPath);
  const signal = shutdownSignal((s) => logger.info({ signal: s }, 'stopping: finishing in-flight work'));
  const observability = await startObservability({
    config,
    components: config.sources.map((source) => captureComponent(source.name)),
    lagGroups: [],
    logger: logger.child({ component: 'observability' }),
  });
  try {
    const failed = await captureSources(config, signal, logger, observability.metrics);
    return failed > 0 ? 1 : 0;
  } finally {
    await observability.close();
  }
}
