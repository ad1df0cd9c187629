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

/**
 * The coordination.k8s.io/v1 Lease whose holder captures a source (leader
 * election). Named like the transactional id, which stays the fence: a Lease
 * name is a DNS subdomain, so the prefix is lowercased and anything but
 * letters, digits, "-" and "." becomes "-".
 */
export function captureLeaseName(prefix: string, source: string): string {
  const dns = (s: string) => s.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  return `rowkube-capture-${dns(prefix)}-${dns(source)}`.slice(0, 253).replace(/[.-]+$/, '');
}

/**
 * The instance name a `rowkube run` or `process` replica goes by when none is
 * given: the pod name (HOSTNAME, which Kubernetes sets), so replicas of one
 * Deployment never fence each other's processor; `0` outside a pod.
 */
export function defaultInstanceName(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.HOSTNAME?.trim();
  return host && /^[a-zA-Z0-9._-]{1,100}$/.test(host) ? host : '0';
}
