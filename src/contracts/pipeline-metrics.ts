import type { AuditEvent } from './audit-event.js';

// What the pipeline's stages report about themselves, as a small port: the
// runners depend on this interface only, never on prom-client, and a runner
// given no `metrics` (tests, benchmarks) reports nothing. src/observability
// implements it (RowkubeMetrics).

/** The stages of the pipeline, as metric labels. */
export type StageName = 'capture' | 'processor' | 'sink';

/** A desired record the processor committed: only what the metrics look at. */
export interface CommittedDesired {
  /** `node` (resources), `absent` (a tombstone) or `error` (the node could not be rendered). */
  kind: string;
  /** For kind `error`: the ROWKUBE_ERR_* code. */
  error?: { code: string };
}

export interface PipelineMetrics {
  /**
   * A component started in this process is running (ready) or not (starting,
   * restarting after a failure, stopped), with the reason for people.
   * Components: `capture/<source>`, `processor`, `sink`.
   */
  componentState(component: string, ready: boolean, reason?: string): void;
  /** Change events of one table that Kafka acknowledged (committed with their source transaction). */
  changesCaptured(source: string, table: string, events: number): void;
  /**
   * A source's snapshot committed a chunk: rows committed so far (a resumed
   * snapshot counts the rows of its earlier attempts) out of the estimated
   * total. Optional: a port without it ignores snapshots.
   */
  snapshotProgress?(source: string, rows: number, estimated: number): void;
  /**
   * Leader election: whether this replica captures the source now (true) or
   * stands by (false). Optional: a port without it ignores leadership.
   */
  captureLeader?(source: string, leading: boolean): void;
  /**
   * The schema registry refused a table's schema: capture of that table
   * stopped until a restart (docs/schema-registry.md). Optional.
   */
  tableStopped?(source: string, table: string): void;
  /** Desired records the processor committed to `<prefix>.desired`. */
  desiredCommitted(records: readonly CommittedDesired[]): void;
  /** Audit events the sink published: one per action on the cluster. */
  sinkAudited(events: readonly AuditEvent[]): void;
  /** Removals the processor's mass-deletion guard holds for the hub now (0 when none). */
  deletionsHeld?(hub: string, nodes: number): void;
  /**
   * A form's progressive rollout now (docs/rollout.md): its state and how many
   * of the nodes this processor renders are pending, in progress, ready or failed.
   */
  formRollout?(form: string, state: string, nodes: Readonly<Record<string, number>>): void;
  /**
   * With several clusters (kubernetes.clusters): whether the cluster's API
   * server answers (rowkube_cluster_up). Optional.
   */
  clusterUp?(cluster: string, up: boolean): void;
  /** A failure of a stage (a restart, a source that stopped), by its ROWKUBE_ERR_* code. */
  stageFailed(stage: StageName, error: unknown): void;
}

/** The ROWKUBE_ERR_* code an error carries, or `unclassified` (a bug, a library's own error). */
export function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ROWKUBE_ERR_') ? code : 'unclassified';
}
