import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditAction, AuditEvent } from '../contracts/index.js';
import {
  type CommittedDesired,
  errorCodeOf,
  type PipelineMetrics,
  ROLLOUT_STATES,
  type StageName,
  stageDurations,
} from '../contracts/index.js';
import { Readiness } from './readiness.js';

// rowkube's Prometheus metrics (docs/observability.md), on a registry of
// their own so that several pipelines in one process (tests) do not collide.

export const MetricName = {
  CHANGE_EVENTS: 'rowkube_capture_change_events_total',
  DESIRED_RECORDS: 'rowkube_processor_desired_records_total',
  SINK_ACTIONS: 'rowkube_sink_actions_total',
  COMMIT_TO_APPLY: 'rowkube_commit_to_apply_latency_seconds',
  STAGE_LATENCY: 'rowkube_stage_latency_seconds',
  ERRORS: 'rowkube_errors_total',
  CONSUMER_LAG: 'rowkube_consumer_lag_records',
  LAST_APPLIED_COMMIT: 'rowkube_sink_last_applied_commit_timestamp_seconds',
  LAST_APPLIED_COMMIT_AGE: 'rowkube_sink_last_applied_commit_age_seconds',
  COMPONENT_READY: 'rowkube_component_ready',
  CLUSTER_UP: 'rowkube_cluster_up',
  DELETIONS_HELD: 'rowkube_deletions_held',
  ROLLOUT_STATE: 'rowkube_rollout_state',
  ROLLOUT_NODES: 'rowkube_rollout_nodes',
  SNAPSHOT_ROWS: 'rowkube_snapshot_rows_total',
  SNAPSHOT_ROWS_ESTIMATED: 'rowkube_snapshot_rows_estimated',
  CAPTURE_LEADER: 'rowkube_capture_leader',
  LEADER_TRANSITIONS: 'rowkube_leader_transitions_total',
  CAPTURE_TABLE_STOPPED: 'rowkube_capture_table_stopped',
} as const;

/** From a commit on loopback (tens of ms) to a slow rollout waiting for readiness (a minute). */
export const LATENCY_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A stage's share, from a millisecond (one Kafka round trip) to the 10 s of a large backlog. */
export const STAGE_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Actions that wrote the desired state to the cluster: what the latency histogram measures. */
const WRITES: ReadonlySet<AuditAction> = new Set(['created', 'configured', 'recreated']);
/** Actions after which the cluster holds the commit's desired state (nothing left to do for it). */
const APPLIED: ReadonlySet<AuditAction> = new Set([
  'created',
  'configured',
  'recreated',
  'unchanged',
  'pruned',
  'retained',
  'deleted',
]);

export interface RowkubeMetricsOptions {
  /** Node.js process metrics (prom-client's default metrics: CPU, memory, event loop, GC). Default true. */
  processMetrics?: boolean;
  /** Clock for the age of the last applied commit, ms since epoch. */
  now?: () => number;
  /** Also hands the sink's audit events here (the dashboard's latency chart, ui/latency-per-minute.ts). */
  onSinkAudited?: (events: readonly AuditEvent[]) => void;
}

/** How often the event-loop lag is sampled, ms. */
const EVENT_LOOP_SAMPLE_MS = 100;

export class RowkubeMetrics implements PipelineMetrics {
  readonly registry = new Registry();
  readonly readiness = new Readiness();
  private readonly now: () => number;
  private readonly onSinkAudited: ((events: readonly AuditEvent[]) => void) | undefined;
  /** Commit time of the newest change the sink applied, ms since epoch. */
  private lastAppliedCommitMs: number | undefined;

  private readonly changeEvents: Counter<'source' | 'table'>;
  private readonly desiredRecords: Counter<'kind'>;
  private readonly sinkActions: Counter<'action'>;
  private readonly latency: Histogram<'action'>;
  private readonly stageLatency: Histogram<'stage'>;
  private readonly errors: Counter<'stage' | 'code'>;
  private readonly lag: Gauge<'stage' | 'topic'>;
  private readonly refreshers: (() => Promise<void>)[] = [];
  private readonly componentReady: Gauge<'component'>;
  private readonly clusterUpGauge: Gauge<'cluster'>;
  private readonly deletionsHeldGauge: Gauge<'hub'>;
  private readonly rolloutStateGauge: Gauge<'form' | 'state'>;
  private readonly rolloutNodesGauge: Gauge<'form' | 'phase'>;
  private readonly snapshotRows: Gauge<'source'>;
  private readonly snapshotEstimated: Gauge<'source'>;
  private readonly captureLeaderGauge: Gauge<'source'>;
  private readonly tableStoppedGauge: Gauge<'source' | 'table'>;
  private readonly leaderTransitions: Counter<'source'>;
  /** Per source: whether this replica leads, so that only a change to leading counts as a transition. */
  private readonly leading = new Map<string, boolean>();

  constructor(options: RowkubeMetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.onSinkAudited = options.onSinkAudited;
    const registers = [this.registry];
    // The event-loop lag histogram samples on a timer: prom-client's default
    // of 10 ms wakes an idle process 100 times a second; 100 ms still sees
    // every stall that matters to a scrape every few seconds.
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    this.changeEvents = new Counter({
      name: MetricName.CHANGE_EVENTS,
      help: 'Change events captured and acknowledged by Kafka, by source and table.',
      labelNames: ['source', 'table'],
      registers,
    });
    this.desiredRecords = new Counter({
      name: MetricName.DESIRED_RECORDS,
      help: 'Desired-state records the processor committed: node (resources), absent (tombstone), error.',
      labelNames: ['kind'],
      registers,
    });
    this.sinkActions = new Counter({
      name: MetricName.SINK_ACTIONS,
      help: 'Actions of the sink on the cluster (audit events), by action.',
      labelNames: ['action'],
      registers,
    });
    this.latency = new Histogram({
      name: MetricName.COMMIT_TO_APPLY,
      help: 'Time from the database COMMIT to the object created or configured in Kubernetes.',
      labelNames: ['action'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.stageLatency = new Histogram({
      name: MetricName.STAGE_LATENCY,
      help:
        'COMMIT → applied per stage, for the writes of changes: capture (commit → the processor received the change), ' +
        'process (→ the sink received the desired record), apply (→ the object written).',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS_SECONDS,
      registers,
    });
    this.errors = new Counter({
      name: MetricName.ERRORS,
      help: 'Failures by stage and ROWKUBE_ERR_* code: node errors, stage restarts, sources that stopped.',
      labelNames: ['stage', 'code'],
      registers,
    });
    this.lag = new Gauge({
      name: MetricName.CONSUMER_LAG,
      help: "Records of a topic not yet committed by the stage's consumer group (end offsets minus committed offsets).",
      labelNames: ['stage', 'topic'],
      registers,
    });
    const lastApplied = () => this.lastAppliedCommitMs;
    new Gauge({
      name: MetricName.LAST_APPLIED_COMMIT,
      help: 'Commit time of the newest change the sink applied, seconds since epoch; NaN before the first.',
      registers,
      collect() {
        const ms = lastApplied();
        this.set(ms === undefined ? Number.NaN : ms / 1_000);
      },
    });
    const now = this.now;
    new Gauge({
      name: MetricName.LAST_APPLIED_COMMIT_AGE,
      help: 'Seconds since the commit of the newest change the sink applied; NaN before the first.',
      registers,
      collect() {
        const ms = lastApplied();
        this.set(ms === undefined ? Number.NaN : (now() - ms) / 1_000);
      },
    });
    this.componentReady = new Gauge({
      name: MetricName.COMPONENT_READY,
      help: 'Whether a component started in this process is running (1) or not (0).',
      labelNames: ['component'],
      registers,
    });
    this.clusterUpGauge = new Gauge({
      name: MetricName.CLUSTER_UP,
      help: "With several clusters (kubernetes.clusters): whether the cluster's API server answers the sink (1) or not (0).",
      labelNames: ['cluster'],
      registers,
    });
    this.deletionsHeldGauge = new Gauge({
      name: MetricName.DELETIONS_HELD,
      help: "Node removals the processor's mass-deletion guard holds until `rowkube release HUB`, by hub.",
      labelNames: ['hub'],
      registers,
    });
    this.rolloutStateGauge = new Gauge({
      name: MetricName.ROLLOUT_STATE,
      help: "A form's progressive rollout: 1 for its current state (rolling, paused, aborted, complete), 0 for the others.",
      labelNames: ['form', 'state'],
      registers,
    });
    this.rolloutNodesGauge = new Gauge({
      name: MetricName.ROLLOUT_NODES,
      help: "The nodes of a form's rollout this processor renders, by phase (pending, inProgress, ready, failed).",
      labelNames: ['form', 'phase'],
      registers,
    });
    // Gauges, though one is named _total: a resumed snapshot starts from the rows its earlier attempts committed.
    this.snapshotRows = new Gauge({
      name: MetricName.SNAPSHOT_ROWS,
      help: "Rows the source's current or last snapshot committed to Kafka, earlier attempts of a resumed snapshot included.",
      labelNames: ['source'],
      registers,
    });
    this.snapshotEstimated = new Gauge({
      name: MetricName.SNAPSHOT_ROWS_ESTIMATED,
      help: "Rows the source's current or last snapshot expects in all, from table statistics (0 when unknown).",
      labelNames: ['source'],
      registers,
    });
    this.captureLeaderGauge = new Gauge({
      name: MetricName.CAPTURE_LEADER,
      help: "Leader election: whether this replica holds the source's Lease and captures it (1) or stands by (0).",
      labelNames: ['source'],
      registers,
    });
    this.tableStoppedGauge = new Gauge({
      name: MetricName.CAPTURE_TABLE_STOPPED,
      help: '1 for a table whose schema the schema registry refused: its changes are not written until a restart (docs/schema-registry.md).',
      labelNames: ['source', 'table'],
      registers,
    });
    this.leaderTransitions = new Counter({
      name: MetricName.LEADER_TRANSITIONS,
      help: "Leader election: times this replica acquired the source's Lease and started capturing it.",
      labelNames: ['source'],
      registers,
    });
  }

  captureLeader(source: string, leading: boolean): void {
    const was = this.leading.get(source) ?? false;
    this.leading.set(source, leading);
    this.captureLeaderGauge.set({ source }, leading ? 1 : 0);
    if (leading && !was) this.leaderTransitions.inc({ source });
  }

  tableStopped(source: string, table: string): void {
    this.tableStoppedGauge.set({ source, table }, 1);
  }

  deletionsHeld(hub: string, nodes: number): void {
    this.deletionsHeldGauge.set({ hub }, nodes);
  }

  formRollout(form: string, state: string, nodes: Readonly<Record<string, number>>): void {
    for (const candidate of ROLLOUT_STATES)
      this.rolloutStateGauge.set({ form, state: candidate }, candidate === state ? 1 : 0);
    for (const [phase, count] of Object.entries(nodes)) this.rolloutNodesGauge.set({ form, phase }, count);
  }

  snapshotProgress(source: string, rows: number, estimated: number): void {
    this.snapshotRows.set({ source }, rows);
    this.snapshotEstimated.set({ source }, estimated);
  }

  /** Components the command starts: not ready until each reports (see Readiness.expect). */
  expect(components: readonly string[]): void {
    this.readiness.expect(components);
    for (const component of components) this.componentReady.set({ component }, 0);
  }

  componentState(component: string, ready: boolean, reason?: string): void {
    this.readiness.set(component, ready, reason);
    this.componentReady.set({ component }, ready ? 1 : 0);
  }

  clusterUp(cluster: string, up: boolean): void {
    this.clusterUpGauge.set({ cluster }, up ? 1 : 0);
  }

  changesCaptured(source: string, table: string, events: number): void {
    this.changeEvents.inc({ source, table }, events);
  }

  desiredCommitted(records: readonly CommittedDesired[]): void {
    for (const record of records) {
      this.desiredRecords.inc({ kind: record.kind });
      if (record.kind === 'error')
        this.errors.inc({ stage: 'processor', code: record.error?.code ?? 'unclassified' });
    }
  }

  sinkAudited(events: readonly AuditEvent[]): void {
    for (const event of events) {
      this.sinkActions.inc({ action: event.action });
      if (event.errorCode !== null) this.errors.inc({ stage: 'sink', code: event.errorCode });
      if (WRITES.has(event.action) && event.latencyMs !== null)
        this.latency.observe({ action: event.action }, Number(event.latencyMs) / 1_000);
      if (WRITES.has(event.action)) this.observeStages(event);
      const commitMs = event.provenance.commitTsMs;
      if (APPLIED.has(event.action) && commitMs !== null)
        this.lastAppliedCommitMs = Math.max(this.lastAppliedCommitMs ?? 0, Number(commitMs));
    }
    this.onSinkAudited?.(events);
  }

  /** Each stage whose bounds the event knows; a negative share (clocks of two hosts) counts as 0. */
  private observeStages(event: AuditEvent): void {
    const { captureMs, processMs, applyMs } = stageDurations(event);
    for (const [stage, ms] of [
      ['capture', captureMs],
      ['process', processMs],
      ['apply', applyMs],
    ] as const)
      if (ms !== null) this.stageLatency.observe({ stage }, Math.max(0, ms) / 1_000);
  }

  stageFailed(stage: StageName, error: unknown): void {
    this.errors.inc({ stage, code: errorCodeOf(error) });
  }

  /** The lag of one topic for a stage's consumer group, in records. */
  setConsumerLag(stage: StageName, topic: string, records: number): void {
    this.lag.set({ stage, topic }, records);
  }

  /** Called before each exposition, e.g. to read what is costly to keep current (consumer lag). */
  beforeExposition(refresh: () => Promise<void>): void {
    this.refreshers.push(refresh);
  }

  /** The Prometheus text exposition of every metric. */
  async exposition(): Promise<string> {
    await Promise.all(this.refreshers.map((refresh) => refresh()));
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
