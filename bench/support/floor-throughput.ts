import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import { waitFor } from '../../support/wait-for.js';
import { OutputCollector } from './output-collector.js';
import { round2 } from './report.js';
import { FloorLoop, type OffsetLimits } from './transform-floor.js';

// The floor's throughput, measured as the processor's is: the same backlog
// (only the records before `limits`: the latency phase wrote more since), the
// clock from the first output record visible to a read_committed consumer to
// the last, over the records after the first batch.

export interface FloorThroughput {
  recordsPerSec: number;
  records: number;
  seconds: number;
  /** Records in the first batch, which the rate leaves out (their time is not measurable). */
  firstBatchRecords: number;
  startupMs: number;
  wallSeconds: number;
  changesPerSecWall: number;
  processCpuPercent: number;
  valueBytes: number;
}

export interface FloorThroughputOptions {
  kafka: Kafka;
  inputs: readonly string[];
  output: string;
  limits: OffsetLimits;
  changes: number;
  valueBytes: number;
  name: string;
  /** Called with the loop as soon as it runs, so that an interrupt can stop it. */
  onLoop: (loop: FloorLoop) => void;
}

const TIMEOUT_MS = 120_000;
const POLL_MS = 20;

export async function measureFloorThroughput(options: FloorThroughputOptions): Promise<FloorThroughput> {
  const { kafka, changes } = options;
  const collector = await OutputCollector.start({ kafka, topic: options.output, keepLatest: false });
  try {
    const startedAt = performance.now();
    const loop = await FloorLoop.start({
      kafka,
      inputs: options.inputs,
      output: options.output,
      fromBeginning: true,
      limits: options.limits,
      valueBytes: options.valueBytes,
      name: options.name,
    });
    options.onLoop(loop);
    try {
      await waitFor(`${changes} floor records`, () => (collector.records >= changes ? true : undefined), {
        timeoutMs: TIMEOUT_MS,
        intervalMs: POLL_MS,
        abandon: loop.failed,
      });
    } finally {
      await loop.stop();
    }
    const firstAt = collector.firstAt as number;
    const lastAt = collector.lastAt as number;
    const wallSeconds = (lastAt - startedAt) / 1000;
    return {
      recordsPerSec: Math.round(collector.ratePerSec()),
      records: collector.records,
      seconds: round2((lastAt - firstAt) / 1000),
      firstBatchRecords: collector.firstBatchRecords,
      startupMs: Math.round(firstAt - startedAt),
      wallSeconds: round2(wallSeconds),
      changesPerSecWall: Math.round(changes / wallSeconds),
      processCpuPercent: collector.cpuPercent(),
      valueBytes: options.valueBytes,
    };
  } finally {
    await collector.stop();
  }
}
