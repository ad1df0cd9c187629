import type { Logger } from 'pino';
import { runMysqlCapture } from '../../../connectors/mysql/index.js';
import { runPostgresCapture } from '../../../connectors/postgres/index.js';
import type { PipelineMetrics } from '../../contracts/index.js';
import type { KafkaConfig, RowkubeConfig, SourceConfig } from '../../core/config/config-schema.js';
import { createKafka, KafkaChangeSink } from '../../kafka/index.js';
import { ObservedChangeSink } from '../../observability/observed-change-sink.js';

// Change capture of every configured source, as `rowkube capture` and
// `rowkube run` start it.

/** The readiness component of one source's capture. */
export function captureComponent(source: string): string {
  return `capture/${source}`;
}

/**
 * Runs every source until the signal stops them; returns how many failed for
 * good (each is logged). With metrics, each source reports its change events
 * and whether it streams (component `capture/<source>`).
 */
export async function captureSources(
  config: RowkubeConfig,
  signal: AbortSignal,
  logger: Logger,
  metrics?: PipelineMetrics,
): Promise<number> {
  const results = await Promise.allSettled(
    config.sources.map((source) => captureSource(source, config.kafka, signal, logger, metrics)),
  );
  let failed = 0;
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      failed++;
      const source = config.sources[i]?.name ?? '';
      metrics?.stageFailed('capture', result.reason);
      metrics?.componentState(
        captureComponent(source),
        false,
        `stopped: ${(result.reason as Error).message}`,
      );
      logger.error({ source, err: result.reason }, 'source stopped');
    }
  });
  return failed;
}

async function captureSource(
  source: SourceConfig,
  kafkaConfig: KafkaConfig,
  signal: AbortSignal,
  logger: Logger,
  metrics: PipelineMetrics | undefined,
) {
  const log = logger.child({ source: source.name });
  const kafka = createKafka({ brokers: kafkaConfig.brokers, clientId: kafkaConfig.clientId, logger: log });
  // The sink first: creating it fences any earlier instance of this source, and
  // Kafka finishes or aborts what that one left open before the position is read.
  const kafkaSink = await KafkaChangeSink.create({
    kafka,
    prefix: kafkaConfig.topicPrefix,
    source: source.name,
    partitions: kafkaConfig.partitions,
    replicationFactor: kafkaConfig.replicationFactor,
    logger: log,
  });
  const sink = new ObservedChangeSink(kafkaSink, {
    source: source.name,
    logger: log,
    ...(metrics === undefined ? {} : { metrics }),
  });
  const onStreaming = (streaming: boolean) =>
    metrics?.componentState(
      captureComponent(source.name),
      streaming,
      streaming ? undefined : 'connecting to the database',
    );
  try {
    const loadOffset = () => kafkaSink.loadPosition();
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
        onStreaming,
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
        onStreaming,
      });
    }
  } finally {
    await kafkaSink.close();
  }
}
