import type { Logger } from 'pino';
import { connectorFor } from '../../../connectors/registry.js';
import { type CaptureTarget, runCapture } from '../../../connectors/run-capture.js';
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
  const component = captureComponent(source.name);
  const readiness = (ready: boolean, reason?: string) => metrics?.componentState(component, ready, reason);
  const connector = connectorFor(source);
  const kafka = createKafka({ brokers: kafkaConfig.brokers, clientId: kafkaConfig.clientId, logger: log });
  let kafkaSink: KafkaChangeSink | undefined;
  // Opened inside the loop, so that a broker that is down at start is waited
  // out like any other outage. The sink comes first: creating it fences any
  // earlier instance of this source, and Kafka finishes or aborts what that
  // one left open before the position is read.
  const openSink = async (): Promise<CaptureTarget> => {
    const opened = await KafkaChangeSink.create({
      kafka,
      prefix: kafkaConfig.topicPrefix,
      source: source.name,
      partitions: kafkaConfig.partitions,
      replicationFactor: kafkaConfig.replicationFactor,
      logger: log,
    });
    kafkaSink = opened;
    readiness(false, 'connecting to the database');
    const sink = new ObservedChangeSink(opened, {
      source: source.name,
      logger: log,
      ...(metrics === undefined ? {} : { metrics }),
    });
    return { sink, loadOffset: () => opened.loadPosition() };
  };
  readiness(false, 'connecting to Kafka');
  try {
    await runCapture(connector, openSink, { signal, logger, sinkName: 'Kafka', onReadiness: readiness });
  } finally {
    await kafkaSink?.close();
  }
}
