import type { Logger } from 'pino';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { createKafka, registryClientFor } from '../kafka/index.js';
import { ConsumerLagReader, type WatchedGroup } from './consumer-lag.js';
import type { NodesApi } from './nodes-endpoint.js';
import { type ObservabilityServer, startObservabilityServer } from './observability-server.js';
import { RowkubeMetrics } from './rowkube-metrics.js';
import { KafkaDashboardData } from './ui/dashboard-data.js';
import { LatencyPerMinute } from './ui/latency-per-minute.js';
import { handleUi } from './ui/ui-routes.js';

// What a long-running command starts besides its stages: the metrics the
// stages report to, the HTTP server that exposes them, the lag reader
// (read when /metrics is scraped) and the dashboard (observability.ui).

export interface StartObservabilityOptions {
  config: RowkubeConfig;
  /** The components the command starts (`capture/<source>`, `processor`, `sink`): /readyz waits for each. */
  components: readonly string[];
  /** The consumer groups whose lag to read (stage-groups.ts). */
  lagGroups: readonly WatchedGroup[];
  logger: Logger;
  /**
   * What /v1/nodes answers from (src/status's PipelineNodes); closed with
   * the server. Without it those paths are 404.
   */
  nodes?: NodesApi & { close(): Promise<void> };
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
  const kafka = createKafka({ ...config.kafka, logger });
  // The chart shows the writes of this process's sink since it started.
  const latency = options.components.includes('sink') ? new LatencyPerMinute() : undefined;
  const metrics = new RowkubeMetrics(
    latency === undefined ? {} : { onSinkAudited: (events) => latency.addEvents(events) },
  );
  metrics.expect(options.components);
  const registry = settings.ui ? registryClientFor(config.schemaRegistry) : undefined;
  const dashboard = settings.ui
    ? new KafkaDashboardData({
        kafka,
        prefix: config.kafka.topicPrefix,
        ...(registry === undefined ? {} : { registry }),
        ...(latency === undefined ? {} : { latency }),
        logger: logger.child({ part: 'ui' }),
      })
    : undefined;
  let server: ObservabilityServer | undefined;
  const { nodes } = options;
  try {
    server = await startObservabilityServer({
      host: settings.host,
      port: settings.port,
      metrics,
      readiness: () => metrics.readiness.report(),
      logger,
      ...(nodes === undefined ? {} : { nodes }),
      ...(dashboard === undefined
        ? {}
        : { ui: (path, query, response) => handleUi(dashboard, path, query, response) }),
    });
  } catch (error) {
    logger.error({ err: error }, 'observability server not started: no /metrics, /healthz or /readyz');
  }
  const lag = new ConsumerLagReader({
    kafka,
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
      await nodes?.close().catch(() => undefined);
      await dashboard?.close();
      registry?.close();
    },
  };
}
