import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { sinkGroupId } from '../../src/contracts/index.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import type { KubeApi } from '../../src/sink/kube/index.js';
import { runSink } from '../../src/sink/sink-runner.js';
import { withCpuProfile } from './cpu-profile.js';
import { type LatencySummary, percentile, summarize } from './percentiles.js';
import { AuditCounter } from './sink-audit-count.js';
import { type CpuFigures, startCpuMeter } from './sink-cpu.js';

// The sink phase: `runSink` in this process, as `rowkube apply` runs it, on a
// backlog of desired records it has never seen. The clock starts when runSink
// is called and stops when the audit topic shows every object in place, so it
// covers everything the sink does for a first apply: reading the desired
// topic, listing its inventory, and per object whatever requests it makes.

/** No new object in place for this long means the sink is stuck, not slow. */
const STALL_MS = 60_000;
/** How long the sink may take to stop once asked. */
const STOP_TIMEOUT_MS = 30_000;

export interface SinkRunFigures {
  objectsPerSec: number;
  objects: number;
  /** runSink called → the audit showed the last object in place. */
  seconds: number;
  /** runSink called → the first object applied (reading the desired topic, the inventory list, joining the group). */
  startupMs: number;
  /** Objects/s between the 10th and 90th percentile of apply times: the rate once running, start-up and tail left out. */
  steadyObjectsPerSec: number;
  /** The last object applied → its audit event read by a consumer. */
  auditLagMs: number;
  /** Per created event, the row's commit time → applied; every row was committed before the sink started, so this is mostly waiting in the backlog. */
  createdLatencyMs: LatencySummary;
  /** Every event the sink wrote, by action. */
  actions: Record<string, number>;
  cpu: CpuFigures;
}

export interface SinkRunOptions {
  config: RowkubeConfig;
  kafka: Kafka;
  kube: KubeApi;
  logger: Logger;
  /** Objects the backlog holds: the sink phase ends when all are in place. */
  objects: number;
  cpuProfileDir: string | undefined;
}

export async function benchSinkRun(options: SinkRunOptions): Promise<SinkRunFigures> {
  const { config, kafka, kube, logger, objects } = options;
  const counter = new AuditCounter(kafka, config.kafka.topicPrefix);
  await counter.start();
  const stop = new AbortController();
  let running: Promise<void> | undefined;
  try {
    return await withCpuProfile(options.cpuProfileDir, 'sink-apply', async () => {
      const stopCpu = startCpuMeter();
      const startedAtMs = Date.now();
      const t0 = performance.now();
      running = runSink({ config, kafka, kube, logger, signal: stop.signal });
      // runSink resolving before the end is a failure as much as rejecting.
      const ended = running.then(() => {
        throw new Error('runSink returned before every object was applied');
      });
      await counter.waitForObjects(objects, STALL_MS, ended);
      const seconds = (counter.lastInPlaceAt - t0) / 1000;
      const cpu = stopCpu();
      const { tally } = counter;
      const applied = [...tally.appliedAtMs].sort((a, b) => a - b);
      const first = applied[0] as number;
      const last = applied[applied.length - 1] as number;
      const p10 = percentile(applied, 10);
      const p90 = percentile(applied, 90);
      const steadyObjects = Math.ceil(0.9 * applied.length) - Math.ceil(0.1 * applied.length);
      return {
        objectsPerSec: Math.round(objects / seconds),
        objects,
        seconds: Math.round(seconds * 100) / 100,
        startupMs: first - startedAtMs,
        steadyObjectsPerSec: p90 > p10 ? Math.round(steadyObjects / ((p90 - p10) / 1000)) : Number.NaN,
        auditLagMs: Math.max(0, Math.round(startedAtMs + (counter.lastInPlaceAt - t0) - last)),
        createdLatencyMs: summarize(tally.latencyMs),
        actions: { ...tally.actions },
        cpu,
      };
    });
  } finally {
    stop.abort();
    await stopWithin(running, STOP_TIMEOUT_MS, logger);
    await counter.close();
    await deleteGroup(kafka, sinkGroupId(config.kafka.topicPrefix));
  }
}

async function stopWithin(running: Promise<void> | undefined, ms: number, logger: Logger): Promise<void> {
  if (running === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([
    running.then(
      () => 'stopped' as const,
      () => 'stopped' as const,
    ),
    late,
  ]);
  clearTimeout(timer);
  if (outcome === 'late') logger.warn(`the sink did not stop within ${ms} ms of being asked`);
}

/** The sink's consumer group outlives the run otherwise; best effort, the name is unique to the run. */
async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // Left behind: an empty group expires on its own.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
