// The names each stage is known by in Kafka: its consumer group (instances of
// a stage share one, so they split the partitions) and its transactional id
// (one per live producer, so a restarted instance fences its own zombie).
// Stages use them to run, observability to watch lag, tests and benchmarks to
// reset or inspect them.

/** The processors' consumer group over the hub change topics. */
export function processorGroupId(prefix: string): string {
  return `rowkube-process-${prefix}`;
}

/** One processor instance's transactional id: `--instance` names it, stable across restarts. */
export function processorTransactionalId(prefix: string, instance = '0'): string {
  return `rowkube-process-${prefix}-${instance}`;
}

/** The sinks' consumer group over `<prefix>.desired`. */
export function sinkGroupId(prefix: string): string {
  return `rowkube-apply-${prefix}`;
}

/**
 * The transactional id of a source's capture: one live producer per source of
 * a prefix. The prefix is part of it, as it is of the processor's: two
 * pipelines on one Kafka whose sources share a name must not fence each other.
 */
export function captureTransactionalId(prefix: string, source: string): string {
  return `rowkube-capture-${prefix}-${source}`;
}
