import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Pipeline } from '../../src/app/start-pipeline.js';
import { desiredTopic } from '../../src/contracts/index.js';
import { ensureTopics, SchemaRegistry } from '../../src/kafka/index.js';
import { deleteTopicsWithPrefix } from '../../support/kafka-cleanup.js';
import { uniqueName } from '../../support/stack-env.js';
import { type AddedLatencyFigures, measureAddedLatency } from './added-latency.js';
import type { ProcessorBenchEnv } from './bench-env.js';
import { type FloorThroughput, measureFloorThroughput } from './floor-throughput.js';
import { once, onInterrupt } from './interrupt.js';
import { measureProcessorThroughput, type ProcessorThroughput } from './processor-throughput.js';
import { describe } from './report.js';
import { writeTenantBacklog } from './tenant-backlog.js';
import { tenantConfig } from './tenant-config.js';
import { openTenantDatabase } from './tenant-database.js';
import { FloorLoop } from './transform-floor.js';

// The processor bench, on tables, a source and a topic prefix of its own:
// 1. backlog: tenants (and flags for some) committed to MariaDB, captured into
//    the change topics by the real capture, which then keeps running;
// 2. processor throughput over that backlog (support/processor-throughput.ts);
// 3. processor added latency at a steady rate of tenant updates;
// 4. and 5. the same two for the floor (support/transform-floor.ts), with the
//    processor stopped, so the two never share the machine.
// Everything it made is dropped at the end, or on SIGINT/SIGTERM.

export interface BacklogFigures {
  tenants: number;
  flaggedTenants: number;
  changes: number;
  writerRowsPerSec: number;
  captureLagMs: number;
}

export interface ScenarioFigures {
  backlog: BacklogFigures;
  processor:
    | { throughput: ProcessorThroughput; latency: AddedLatencyFigures | { error: string } }
    | { error: string };
  floor:
    | { throughput: FloorThroughput; latency: AddedLatencyFigures | { error: string } }
    | { error: string };
}

export interface ScenarioOptions {
  env: ProcessorBenchEnv;
  kafka: Kafka;
  logger: Logger;
  say: (line: string) => void;
}

/** Warm-up tenants are new ones numbered from here, apart from the backlog's and from each other's. */
const WARMUP_PROCESSOR = 1_000_000_000;
const WARMUP_FLOOR = 1_100_000_000;
/** When the processor failed before measuring its record size: a desired record of this bench's form is about this big. */
const FALLBACK_VALUE_BYTES = 2_000;

export async function runProcessorScenario({
  env,
  kafka,
  logger,
  say,
}: ScenarioOptions): Promise<ScenarioFigures> {
  const prefix = uniqueName('rkbench');
  const source = uniqueName('bench');
  const tenantsTable = uniqueName('bench_tenants');
  const flagsTable = uniqueName('bench_flags');
  const config = tenantConfig({
    kafkaBrokers: env.kafkaBrokers,
    prefix,
    source,
    mysqlUrl: env.mysqlUrl,
    tenantsTable,
    flagsTable,
  });
  const db = await openTenantDatabase({ tenantsTable, flagsTable, flaggedEvery: env.flaggedEvery });
  let capture: Pipeline | undefined;
  let processor: Pipeline | undefined;
  let floor: FloorLoop | undefined;
  const cleanUp = once(async () => {
    await processor?.stop();
    await floor?.stop();
    await capture?.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping capture failed'));
    await db
      .cleanUp()
      .catch((error: unknown) =>
        say(`CLEAN-UP FAILED, drop tables ${tenantsTable} and ${flagsTable} by hand (${describe(error)})`),
      );
    await deleteTopicsWithPrefix(kafka, prefix);
  });
  const unregister = onInterrupt(cleanUp);
  try {
    await db.setUp();
    say(`tables ${tenantsTable} and ${flagsTable}, source ${source}, topic prefix ${prefix}`);
    const backlog = await writeTenantBacklog({
      db,
      kafka,
      config,
      logger,
      tenants: env.tenants,
      flaggedEvery: env.flaggedEvery,
      onCapture: (run) => {
        capture = run;
      },
    });
    const flaggedTenants = Math.floor(env.tenants / env.flaggedEvery);
    say(
      `backlog: ${env.tenants} tenants (${flaggedTenants} with 2 flag rows) = ${backlog.changes} change records ` +
        `in Kafka (writer ${backlog.writerRowsPerSec} tenants/s; capture done ${backlog.captureLagMs} ms after the last COMMIT)`,
    );

    // Created here, empty, so that the collectors can read them from their
    // first record; the processor leaves an existing topic as it is.
    const desired = desiredTopic(prefix);
    const floorOutput = `${prefix}.floor`;
    const admin = kafka.admin();
    try {
      await admin.connect();
      await ensureTopics(admin, [
        { name: desired, kind: 'desired' },
        { name: floorOutput, kind: 'desired' },
      ]);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const registry = await SchemaRegistry.open({ kafka, prefix });
    const latencyOptions = {
      kafka,
      resolver: registry,
      changeTopic: backlog.tenantsTopic,
      write: (id: number) => db.insertOne(id),
      rate: env.rate,
      seconds: env.seconds,
      say,
    };
    const updates = env.rate * env.seconds;

    let valueBytes = FALLBACK_VALUE_BYTES;
    let processorFigures: ScenarioFigures['processor'];
    try {
      const measured = await measureProcessorThroughput({
        kafka,
        config,
        logger,
        desiredTopic: desired,
        resolver: registry,
        tenants: env.tenants,
        flaggedEvery: env.flaggedEvery,
        changes: backlog.changes,
        cpuProfileDir: env.cpuProfileDir,
        onProcessor: (run) => {
          processor = run;
        },
      });
      const throughput = measured.figures;
      valueBytes = throughput.avgValueBytes;
      say(
        `processor: throughput ${throughput.desiredPerSec} desired records/s (${throughput.desiredRecords} records for ` +
          `${throughput.nodes} nodes, ${throughput.seconds} s after the first batch of ${throughput.firstBatchRecords}; start-up ${throughput.startupMs} ms; ` +
          `${throughput.changesPerSecWall} changes/s from start to last record; process CPU ${throughput.processCpuPercent}%; ` +
          `${throughput.avgValueBytes} bytes per record)`,
      );
      let latency: AddedLatencyFigures | { error: string };
      try {
        latency = await Promise.race([
          measureAddedLatency({
            ...latencyOptions,
            outputTopic: desired,
            firstId: 1,
            warmupId: WARMUP_PROCESSOR,
            label: 'processor',
          }),
          measured.processor.failed,
        ]);
        sayLatency(say, 'processor', latency);
      } catch (error) {
        latency = { error: describe(error) };
        say(`processor: latency FAILED: ${describe(error)}`);
      }
      processorFigures = { throughput, latency };
    } catch (error) {
      processorFigures = { error: describe(error) };
      say(`processor: FAILED: ${describe(error)}`);
    } finally {
      await processor?.stop();
      processor = undefined;
    }

    let floorFigures: ScenarioFigures['floor'];
    try {
      const inputs = [backlog.tenantsTopic, backlog.flagsTopic];
      const throughput = await measureFloorThroughput({
        kafka,
        inputs,
        output: floorOutput,
        limits: backlog.limits,
        changes: backlog.changes,
        valueBytes,
        name: `rowkube-bench-floor-${prefix}`,
        onLoop: (loop) => {
          floor = loop;
        },
      });
      floor = undefined;
      say(
        `floor: throughput ${throughput.recordsPerSec} records/s (${throughput.records} records of ${valueBytes} bytes, ` +
          `${throughput.seconds} s after the first batch of ${throughput.firstBatchRecords}; start-up ${throughput.startupMs} ms; ` +
          `${throughput.changesPerSecWall} changes/s from start to last record; process CPU ${throughput.processCpuPercent}%)`,
      );
      let latency: AddedLatencyFigures | { error: string };
      try {
        floor = await FloorLoop.start({
          kafka,
          inputs,
          output: floorOutput,
          fromBeginning: false,
          valueBytes,
          name: `rowkube-bench-floor-latency-${prefix}`,
        });
        const running = floor;
        latency = await Promise.race([
          measureAddedLatency({
            ...latencyOptions,
            outputTopic: floorOutput,
            firstId: 1 + updates,
            warmupId: WARMUP_FLOOR,
            label: 'floor',
          }),
          running.failed,
        ]);
        sayLatency(say, 'floor', latency);
      } catch (error) {
        latency = { error: describe(error) };
        say(`floor: latency FAILED: ${describe(error)}`);
      } finally {
        await floor?.stop();
        floor = undefined;
      }
      floorFigures = { throughput, latency };
    } catch (error) {
      floorFigures = { error: describe(error) };
      say(`floor: FAILED: ${describe(error)}`);
    }

    return {
      backlog: {
        tenants: env.tenants,
        flaggedTenants,
        changes: backlog.changes,
        writerRowsPerSec: backlog.writerRowsPerSec,
        captureLagMs: backlog.captureLagMs,
      },
      processor: processorFigures,
      floor: floorFigures,
    };
  } finally {
    unregister();
    await cleanUp();
  }
}

function sayLatency(say: (line: string) => void, label: string, figures: AddedLatencyFigures): void {
  const { addedMs, commitToChangeMs, commitToOutputMs } = figures;
  say(
    `${label}: added latency (change record visible → output visible): p50 ${addedMs.p50} ms, p99 ${addedMs.p99} ms, ` +
      `max ${addedMs.max} ms (${addedMs.count}/${figures.sent} updates, writer at ${figures.achievedRate}/s; ` +
      `COMMIT→change p50 ${commitToChangeMs.p50} ms, COMMIT→output p50 ${commitToOutputMs.p50} ms, p99 ${commitToOutputMs.p99} ms)`,
  );
}
