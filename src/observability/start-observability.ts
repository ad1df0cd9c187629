import type { Logger } from 'pino';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { createKafka } from '../kafka/index.js';
import { ConsumerLagReader, type WatchedGroup } from './consumer-lag.js';
import { PipelineNodes } from './nodes-endpoint.js';
import { type ObservabilityServer, startObservabilityServer } from './observability-server.js';
import { RowkubeMetrics } from './rowkube-metrics.js';

// What a long-running command starts besides its stages: the metrics the
// stages report to, the HTTP server that exposes them, and the lag reader
// (read when /metrics is scraped).

export interface StartObservabilityOptions {
  config: RowkubeConfig;
  /** The components the command starts (`capture/<source>`, `processor`, `sink`): /readyz waits for each. */
  components: readonly string[];
  /** The consumer groups whose lag to read (stage-groups.ts). */
  lagGroups: readonly WatchedGroup[];
  logger: Logger;
}

export interface Observability {
  /** What the stages report to; undefined when observability.port is 0 (everything off). */
  metrics: RowkubeMetrics | undefined;
  /** The port the server listens on; undefined when it does not run. */
  port: number | undefined;
  /** Stops the lag reader and the server. */
  close(): Promise<void>;
}

/**
 * Starts the server on observability.host:port. A port that cannot be bound
 * is logged as an error and the command runs on without it: several rowkube
 * processes on one machine (capture, process and apply side by side, or
 * tests) would otherwise fail over the default port.
 */
export async function startObservability(options: StartObservabilityOptions): Promise<Observability> {
  const { config, logger } = options;
  const settings = config.observability;
  if (settings.port === 0) return { metrics: undefined, port: undefined, close: async () => undefined };
  const metrics = new RowkubeMetrics();
  metrics.expect(options.components);
  let server: ObservabilityServer | undefined;
  const nodes = new PipelineNodes(config, logger);
  try {
    server = await startObservabilityServer({
      host: settings.host,
      port: settings.port,
      metrics,
      readiness: () => metrics.readiness.report(),
      logger,
      nodes,
    });
  } catch (error) {
    logger.error({ err: error }, 'observability server not started: no /metrics, /healthz or /readyz');
  }
  const lag = new ConsumerLagReader({
    kafka: createKafka({ ...config.kafka, logger }),
    groups: options.lagGroups,
    intervalMs: settings.lagIntervalSeconds * 1_000,
    report: (stage, topic, records) => metrics.setConsumerLag(stage, topic, records),
    logger,
  });
  metrics.beforeExposition(() => lag.refresh());
  return {
    metrics,
    port: server?.port,
    close: async () => {
      await lag.close().catch(() => undefined);
      await server?.close();
      await nodes.close().catch(() => undefined);
    },
  };
}
