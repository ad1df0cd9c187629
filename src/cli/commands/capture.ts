import pino, { type Logger } from 'pino';
import { runMysqlCapture } from '../../../connectors/mysql/index.js';
import { runPostgresCapture } from '../../../connectors/postgres/index.js';
import type { KafkaConfig, SourceConfig } from '../../core/config/config-schema.js';
import { loadConfig } from '../../core/config/load-config.js';
import { createKafka, KafkaChangeSink } from '../../kafka/index.js';
import { shutdownSignal } from '../shutdown-signal.js';

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
  const results = await Promise.allSettled(
    config.sources.map((source) => captureSource(source, config.kafka, signal, logger)),
  );
  let failed = 0;
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      failed++;
      logger.error({ source: config.sources[i]?.name, err: result.reason }, 'source stopped');
    }
  });
  return failed > 0 ? 1 : 0;
}

async function captureSource(
  source: SourceConfig,
  kafkaConfig: KafkaConfig,
  signal: AbortSignal,
  logger: Logger,
) {
  const log = logger.child({ source: source.name });
  const kafka = createKafka({ brokers: kafkaConfig.brokers, clientId: kafkaConfig.clientId, logger: log });
  // The sink first: creating it fences any earlier instance of this source, and
  // Kafka finishes or aborts what that one left open before the position is read.
  const sink = await KafkaChangeSink.create({
    kafka,
    prefix: kafkaConfig.topicPrefix,
    source: source.name,
    partitions: kafkaConfig.partitions,
    replicationFactor: kafkaConfig.replicationFactor,
    logger: log,
  });
  try {
    const loadOffset = () => sink.loadPosition();
    if (source.mysql) {
      await runMysqlCapture({
        name: source.name,
        url: source.mysql.url,
        tables: source.tables,
        sink,
        loadOffset,
        ...(source.mysql.serverId !== undefined ? { serverId: source.mysql.serverId } : {}),
        logger: log,
        signal,
      });
    } else if (source.postgres) {
      await runPostgresCapture({
        name: source.name,
        url: source.postgres.url,
        slot: source.postgres.slot ?? `rowkube_${source.name.replaceAll('-', '_')}`,
        publication: source.postgres.publication ?? `rowkube_${source.name.replaceAll('-', '_')}`,
        tables: source.tables,
        sink,
        loadOffset,
        logger: log,
        signal,
      });
    }
  } finally {
    await sink.close();
  }
}
