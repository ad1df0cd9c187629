// Metrics, health and readiness: what the stages report (PipelineMetrics),
// the Prometheus registry behind it, the HTTP server, the consumer-lag
// watcher, and progress lines for long operations.
export {
  type CommittedOffset,
  type PartitionOffsets,
  topicLag,
  type WatchedGroup,
  watchConsumerLag,
} from './consumer-lag.js';
export {
  type ObservabilityServer,
  type ObservabilityServerOptions,
  startObservabilityServer,
} from './observability-server.js';
export { ObservedChangeSink, type ObservedChangeSinkOptions } from './observed-change-sink.js';
export {
  type CommittedDesired,
  errorCodeOf,
  type PipelineMetrics,
  type StageName,
} from './pipeline-metrics.js';
export { ProgressLine, type ProgressLineOptions } from './progress-line.js';
export { type ComponentState, Readiness, type ReadinessReport } from './readiness.js';
export { LATENCY_BUCKETS_SECONDS, MetricName, RowkubeMetrics } from './rowkube-metrics.js';
export { processorLagGroup, sinkLagGroup } from './stage-groups.js';
export { type Observability, startObservability } from './start-observability.js';
