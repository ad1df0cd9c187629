import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { type Pipeline, startPipeline } from '../../src/app/start-pipeline.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import type { KubeApi } from '../../src/sink/kube/index.js';
import { AuditFollower } from '../../support/audit-follower.js';
import { type LatencySummary, percentile, summarize } from '../../support/percentiles.js';
import { withCpuProfile } from './cpu-profile.js';
import { stopPipeline } from './pipeline-stop.js';
import { type CpuFigures, startCpuMeter } from './sink-cpu.js';

// The sink phase: the sink in this process, assembled as `rowkube apply`
// assembles it (src/app/start-pipeline.ts), on a backlog of desired records it
// has never seen. The clock starts when it is started and stops when the audit topic shows every object in place, so it
// covers everything the sink does for a first apply: reading the desired
// topic, listing its inventory, and per object whatever requests it makes.

/** No new object in place for this long means the sink is stuck, not slow. */
const STALL_MS = 60_000;

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
  const audit = new AuditFollower(kafka, config.kafka.topicPrefix);
  await audit.follow();
  let sink: Pipeline | undefined;
  try {
    return await withCpuProfile(options.cpuProfileDir, 'sink-apply', async () => {
      const stopCpu = startCpuMeter();
      const startedAtMs = Date.now();
      const t0 = performance.now();
      // As `rowkube apply` runs it, without the metrics server; a sink that stops before the end failed.
      const started = startPipeline(config, { stages: ['apply'], kube, logger, metrics: false });
      sink = started;
      await audit.waitFor(`${objects} objects in place`, () => audit.objectsInPlace >= objects, {
        stallMs: STALL_MS,
        abandon: started.failed,
        progress: () => audit.objectsInPlace,
      });
      const seconds = (audit.lastInPlaceAt - t0) / 1000;
      const cpu = stopCpu();
      const applied = [...audit.inPlaceAtMs].sort((a, b) => a - b);
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
        auditLagMs: Math.max(0, Math.round(startedAtMs + (audit.lastInPlaceAt - t0) - last)),
        createdLatencyMs: summarize(audit.latenciesMs('created')),
        actions: { ...audit.actions },
        cpu,
      };
    });
  } finally {
    if (sink !== undefined) await stopPipeline(sink, { kafka, prefix: config.kafka.topicPrefix, logger });
    await audit.close().catch(() => undefined);
  }
}
