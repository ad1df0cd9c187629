import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AuditFollower } from '../../support/audit-follower.js';
import { writePaced } from '../../support/paced-writer.js';
import { type LatencySummary, percentile, round1, summarize } from '../../support/percentiles.js';
import { waitFor } from '../../support/wait-for.js';
import { E2E_FORM, UPDATED_RESOURCE } from './bench-config.js';
import type { E2eDatabase } from './e2e-database.js';
import {
  type CommittedWrite,
  type LatencyFigures,
  latencyFigures,
  matchedWrites,
  matchWrites,
} from './e2e-latency.js';
import { type StageFigures, stageFigures } from './e2e-stages.js';
import { configMapName, type RevisionWatch } from './e2e-watch.js';
import { type CpuFigures, startCpuMeter } from './sink-cpu.js';
import { tenantUid } from './tenant-rows.js';

// The latency phase: tenant updates at a steady rate, each one a transaction
// of its own that changes one ConfigMap, with `rowkube run` running; per
// update, the writer's clock before the UPDATE → the watch event of that
// ConfigMap with the new revision (the headline, support/e2e-watch.ts), and
// → the sink's `configured` event for it (support/e2e-latency.ts matches
// them), which carries the per-stage times.

/** How often the event loop's delay is sampled, ms. */
const LOOP_RESOLUTION_MS = 10;

/** After the last update, how long the stragglers may take before they count as missing. */
const STRAGGLER_STALL_MS = 30_000;
/** Once the sink reported every update applied, how long their watch events may still take. */
const WATCH_GRACE_MS = 10_000;

export interface SteadyFigures {
  rate: number;
  seconds: number;
  achievedRate: number;
  writerMaxBehindMs: number;
  /**
   * The headline: the writer's clock before the UPDATE → the watch event of
   * the ConfigMap holding the new revision, as any watcher of the cluster sees it.
   */
  commitToWatchMs: LatencyFigures;
  /** The writer's clock before the UPDATE → the ConfigMap's `configured` event (appliedAtMs). */
  commitToAppliedMs: LatencyFigures;
  /** The same per stage (support/e2e-stages.ts), and `watchMs`: appliedAtMs → the watch event. */
  stages: StageFigures & { watchMs: LatencySummary };
  /** The same events' own latencyMs: the binlog's commit time has whole seconds, so this reads up to 1 s high. */
  auditLatencyMs: { count: number; p50: number; p99: number };
  /** CPU while the writer ran. */
  cpu: CpuFigures;
  /**
   * How late this process's event loop ran its timers while the writer ran:
   * every stage and the writer share the loop, so a late loop delays each
   * change wherever it is. A CPU-starved machine shows here first.
   */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Why some updates are missing, when they are. */
  error?: string;
}

export interface SteadyOptions {
  database: E2eDatabase;
  audit: AuditFollower;
  /** Tenants 1 … tenants exist and are updated in turn. */
  tenants: number;
  rate: number;
  seconds: number;
  /** Rejects when a stage of the pipeline fails. */
  pipelineFailed: Promise<unknown>;
  /** The run's ConfigMaps, followed from before the first update. */
  watch: RevisionWatch;
}

/** A write as the watch sees it: the ConfigMap and the revision the update gives it. */
interface WatchedWrite {
  nodeId: string;
  name: string;
  revision: number;
  startedAtMs: number;
}

export async function runSteady(options: SteadyOptions): Promise<SteadyFigures> {
  const { database, audit, tenants, rate, seconds } = options;
  const stopCpu = startCpuMeter();
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const committed: CommittedWrite[] = [];
  const watched: WatchedWrite[] = [];
  // Each update adds 1 to a revision the bulk set (0), as the cluster holds it now.
  const revisions = options.watch.currentRevisions();
  const paced = await writePaced(rate, seconds, async (i) => {
    // Each tenant in turn: a tenant comes round again only after every other one.
    const id = 1 + (i % tenants);
    const name = configMapName(id);
    const revision = (revisions.get(name) ?? 0) + 1;
    revisions.set(name, revision);
    // The writer's clock before the UPDATE: the database's own commit is part of the figure.
    const { startedAtMs } = await database.updateTenant(id);
    const nodeId = `${E2E_FORM}/${tenantUid(id)}`;
    committed.push({ nodeId, committedAtMs: startedAtMs });
    watched.push({ nodeId, name, revision, startedAtMs });
  });
  const cpu = stopCpu();
  loop.disable();
  // The histogram holds each sampling timer's whole interval: only what is beyond it is delay.
  const lateMs = (ns: number) => round1(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS));
  const eventLoopDelayMs = {
    p50: lateMs(loop.percentile(50)),
    p99: lateMs(loop.percentile(99)),
    max: lateMs(loop.max),
  };
  const updatesOf = (nodeId: string) => audit.configuredAtMs(nodeId, UPDATED_RESOURCE);
  let late: string | undefined;
  await audit
    .waitFor(
      `the applied events of ${committed.length} updates`,
      () => matchWrites(committed, updatesOf).length >= committed.length,
      { stallMs: STRAGGLER_STALL_MS, abandon: options.pipelineFailed },
    )
    .catch((error: unknown) => {
      late = error instanceof Error ? error.message : String(error);
    });
  const shownAtMs = (write: WatchedWrite) => options.watch.shownAtMs(write.name, write.revision);
  await waitFor(
    'the watch events of the updates',
    () => watched.every((w) => shownAtMs(w) !== undefined) || undefined,
    {
      timeoutMs: WATCH_GRACE_MS,
      intervalMs: 50,
    },
  ).catch(() => undefined); // the ones still missing are counted
  const toWatch: number[] = [];
  for (const write of watched) {
    const at = shownAtMs(write);
    if (at !== undefined) toWatch.push(at - write.startedAtMs);
  }
  const matched = matchedWrites(committed, updatesOf);
  const figures = latencyFigures(
    committed.length,
    matched.map((m) => m.appliedAtMs - m.committedAtMs),
  );
  // appliedAtMs → the watch event, per update that has both.
  const watchDelays: number[] = [];
  const byWrite = new Map(watched.map((w) => [`${w.nodeId} ${w.startedAtMs}`, w]));
  for (const m of matched) {
    const write = byWrite.get(`${m.nodeId} ${m.committedAtMs}`);
    const at = write === undefined ? undefined : shownAtMs(write);
    if (at !== undefined) watchDelays.push(at - m.appliedAtMs);
  }
  const watchFigures = latencyFigures(watched.length, toWatch);
  const byAudit = audit.latenciesMs('configured', UPDATED_RESOURCE).sort((a, b) => a - b);
  return {
    rate,
    seconds,
    achievedRate: paced.achievedRate,
    writerMaxBehindMs: paced.maxBehindMs,
    commitToWatchMs: watchFigures,
    commitToAppliedMs: figures,
    stages: { ...stageFigures(matched, audit.events, UPDATED_RESOURCE), watchMs: summarize(watchDelays) },
    auditLatencyMs: {
      count: byAudit.length,
      p50: round1(percentile(byAudit, 50)),
      p99: round1(percentile(byAudit, 99)),
    },
    cpu,
    eventLoopDelayMs,
    ...(figures.missing > 0 || watchFigures.missing > 0
      ? {
          error:
            `${figures.missing} of ${figures.writes} updates never showed as applied, ` +
            `${watchFigures.missing} never showed in a watch event${late ? `: ${late}` : ''}`,
        }
      : {}),
  };
}
