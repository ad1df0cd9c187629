import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { type Pipeline, startPipeline } from '../../src/app/start-pipeline.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import type { SchemaResolver } from '../../src/kafka/index.js';
import { waitFor } from '../../support/wait-for.js';
import { withCpuProfile } from './cpu-profile.js';
import { checkDesired, type DesiredCheck } from './desired-check.js';
import { OutputCollector } from './output-collector.js';
import { round2 } from './report.js';

// Throughput: the backlog is in the change topics before the processor
// starts; it then renders every tenant. The clock runs from the first desired
// record visible to a read_committed consumer to the last one, over the
// records after the first batch (start-up is reported apart). The end is
// found from outside: every tenant has a record, the topic goes quiet, and
// the final state checks out (support/desired-check.ts); the last record's
// arrival, not the check, stops the clock.

export interface ProcessorThroughput {
  /** Desired records per second after the first batch (output-collector.ts ratePerSec). */
  desiredPerSec: number;
  desiredRecords: number;
  nodes: number;
  /** Change records consumed: the backlog. */
  changes: number;
  /** First desired record visible → last one. */
  seconds: number;
  /** Records in the first batch, which the rate leaves out (their time is not measurable). */
  firstBatchRecords: number;
  /** runProcessor called → first desired record visible (group join, state rebuild, first batch). */
  startupMs: number;
  /** runProcessor called → last desired record visible; changes ÷ this is changesPerSecWall. */
  wallSeconds: number;
  changesPerSecWall: number;
  /** CPU of this whole process while records flowed, in % of one core. */
  processCpuPercent: number;
  avgValueBytes: number;
}

export interface ProcessorThroughputOptions {
  kafka: Kafka;
  config: RowkubeConfig;
  logger: Logger;
  desiredTopic: string;
  resolver: SchemaResolver;
  tenants: number;
  flaggedEvery: number;
  changes: number;
  cpuProfileDir: string | undefined;
  /** Called with the processor as soon as it runs, so that an interrupt can stop it. */
  onProcessor: (processor: Pipeline) => void;
}

const TIMEOUT_MS = 150_000;
/** No desired record for this long, with tenants still missing: the processor is stuck (or lost changes). */
const STALL_MS = 30_000;
/** No desired record for this long, with every tenant seen: time to check whether it is done. */
const QUIET_MS = 1_000;
const POLL_MS = 20;

/** Leaves the processor running (for the latency phase): the caller stops it. */
export async function measureProcessorThroughput(
  options: ProcessorThroughputOptions,
): Promise<{ figures: ProcessorThroughput; check: DesiredCheck; processor: Pipeline }> {
  const { tenants } = options;
  const collector = await OutputCollector.start({
    kafka: options.kafka,
    topic: options.desiredTopic,
    keepLatest: true,
  });
  try {
    // As `rowkube process` runs it, without the metrics server: seen only from outside, through the topics.
    const startedAt = performance.now();
    const processor = startPipeline(options.config, {
      stages: ['process'],
      logger: options.logger,
      metrics: false,
    });
    options.onProcessor(processor);
    const deadline = performance.now() + TIMEOUT_MS;
    const remaining = () => Math.max(1, deadline - performance.now());
    const check = await withCpuProfile(options.cpuProfileDir, 'processor-throughput', async () => {
      const polling = { intervalMs: POLL_MS, abandon: processor.failed };
      await waitFor(
        `a desired record for each of ${tenants} tenants`,
        (bail) => {
          const quietMs = performance.now() - (collector.lastAt ?? startedAt);
          if (quietMs > STALL_MS)
            bail(
              new Error(
                `the processor stalled: no desired record for ${Math.round(quietMs / 1000)} s, ` +
                  `${collector.records} records for ${collector.keys.size} of ${tenants} nodes so far ` +
                  '(its log is on stderr)',
              ),
            );
          return collector.keys.size >= tenants ? true : undefined;
        },
        { ...polling, timeoutMs: remaining() },
      );
      for (;;) {
        await waitFor(
          'the desired topic to go quiet',
          () => (performance.now() - (collector.lastAt ?? 0) >= QUIET_MS ? true : undefined),
          { ...polling, timeoutMs: remaining() },
        );
        const records = collector.records;
        const result = await checkDesired(collector.latest, options.resolver, tenants, options.flaggedEvery);
        if (result.errors > 0)
          throw new Error(`${result.errors} nodes rendered an error record, e.g. ${result.firstProblem}`);
        if (result.complete) return result;
        // Quiet but not done (a pause inside the processor): wait for more records.
        await waitFor(
          `the final state of every tenant (${result.pending} pending, e.g. ${result.firstProblem})`,
          () => (collector.records > records ? true : undefined),
          { ...polling, timeoutMs: remaining() },
        );
      }
    });
    const firstAt = collector.firstAt as number;
    const lastAt = collector.lastAt as number;
    const wallSeconds = (lastAt - startedAt) / 1000;
    return {
      figures: {
        desiredPerSec: Math.round(collector.ratePerSec()),
        desiredRecords: collector.records,
        nodes: check.nodes,
        changes: options.changes,
        seconds: round2((lastAt - firstAt) / 1000),
        firstBatchRecords: collector.firstBatchRecords,
        startupMs: Math.round(firstAt - startedAt),
        wallSeconds: round2(wallSeconds),
        changesPerSecWall: Math.round(options.changes / wallSeconds),
        processCpuPercent: collector.cpuPercent(),
        avgValueBytes: check.avgValueBytes,
      },
      check,
      processor,
    };
  } finally {
    await collector.stop();
  }
}
