// Metrics, health and readiness: the Prometheus registry behind what the
// stages report (the PipelineMetrics port of src/contracts), the HTTP server, the consumer-lag
// reader, progress lines for long operations, and the read-only dashboard (ui/).
export {
  type CommittedOffset,
  ConsumerLagReader,
  type ConsumerLagReaderOptions,
  type PartitionOffsets,
  topicLag,
  type WatchedGroup,
} from './consumer-lag.js';
export type { NodesApi } from './nodes-endpoint.js';
export {
  type ObservabilityServer,
  type ObservabilityServerOptions,
  startObservabilityServer,
} from './observability-server.js';
export { ObservedChangeSink, type ObservedChangeSinkOptions } from './observed-change-sink.js';
export { ProgressLine, type ProgressLineOptions } from './progress-line.js';
export { type ComponentState, Readiness, type ReadinessReport } from './readiness.js';
export { LATENCY_BUCKETS_SECONDS, MetricName, RowkubeMetrics } from './rowkube-metrics.js';
export { processorLagGroup, sinkLagGroup } from './stage-groups.js';
export { type Observability, startObservability } from './start-observability.js';
export {
  type DashboardData,
  filterNodes,
  handleUi,
  historyTransactions,
  KafkaDashboardData,
  LatencyPerMinute,
  type NodeFilter,
  parseNodeFilter,
  summarizeByHub,
} from './ui/index.js';
