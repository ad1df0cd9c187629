import type { Logger } from 'pino';
import { runMysqlCapture } from '../../../connectors/mysql/index.js';
import { runPostgresCapture } from '../../../connectors/postgres/index.js';
import type { KafkaConfig, RowkubeConfig, SourceConfig } from '../../core/config/config-schema.js';
import { createKafka, KafkaChangeSink } from '../../kafka/index.js';

// Change capture of every configured source, as `rowkube capture` and
// `rowkube run` start it.

/** Runs every source until the signal stops them; returns how many failed for good (each is logged). */
export async function captureSources(
  config: RowkubeConfig,
  signal: AbortSignal,
  logger: Logger,
): Promise<number> {
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
  return failed;
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
