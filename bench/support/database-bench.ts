import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { changeTopic } from '../../src/contracts/index.js';
import { KEY_SCHEMA_HEADER, SchemaRegistry } from '../../src/kafka/index.js';
import type { DatabaseKind } from '../../support/admin-database.js';
import { deleteTopicsWithPrefix } from '../../support/kafka-cleanup.js';
import type { LatencySummary } from '../../support/percentiles.js';
import { uniqueName } from '../../support/stack-env.js';
import { WaitTimeoutError } from '../../support/wait-for.js';
import { type CaptureConfigOptions, captureBenchConfig } from './bench-config.js';
import { openBenchDatabase } from './bench-database.js';
import type { CaptureBenchEnv } from './bench-env.js';
import { type CaptureRun, startCapture } from './capture-run.js';
import { withCpuProfile } from './cpu-profile.js';
import { once, onInterrupt } from './interrupt.js';
import { type LatencyProbe, measureLatency } from './latency-phase.js';
import { type LatencyStages, latencyStages } from './latency-stages.js';
import { describe } from './report.js';
import { TopicWatcher } from './topic-watcher.js';

// One database, in three steps on a table, source and topic prefix of its own:
// 1. a first start snapshots the (empty) table and stores a position, then stops;
// 2. throughput: a backlog of rows is committed while capture is stopped, then
//    capture restarts from the stored position and streams it; the clock runs
//    from its first row change to the commit of the last one in Kafka, so the
//    figure is capture's, not the writer's nor start-up's;
// 3. latency: with capture running, single-row transactions at a steady rate;
//    each row's COMMIT-returned time against its arrival at a read_committed consumer.

export interface DatabaseFigures {
  eventsPerSec: number;
  latencyMs: LatencySummary;
  throughput: {
    rows: number;
    /** First row change handed to the sink → last one committed in Kafka. */
    seconds: number;
    /** Connector start (after the sink connected) → first row change: preflight, reading the offset. */
    startupMs: number;
    /** False when the backlog was not through within the time limit: eventsPerSec is then over what was. */
    complete: boolean;
    kafkaTransactions: number;
    eventsPerKafkaTransaction: number;
    /** CPU of this whole process (capture, kafkajs, driver) while streaming, in % of one core. */
    processCpuPercent: number;
    /** How fast the backlog was written, for scale: capture streamed it later. */
    writerRowsPerSec: number;
  };
  latency: {
    sent: number;
    received: number;
    lost: number;
    achievedRate: number;
    maxBehindMs: number;
    stages: LatencyStages;
  };
}

export interface DatabaseBenchOptions {
  env: CaptureBenchEnv;
  kafka: Kafka;
  logger: Logger;
  say: (line: string) => void;
  /** Capture over the SASL_SSL listener (see captureBenchConfig); its prefix must be one the ACLs allow. */
  secure?: CaptureConfigOptions['secure'] & { prefix: string };
}

const SNAPSHOT_TIMEOUT_MS = 120_000;
const BACKLOG_TIMEOUT_MS = 180_000;

export async function benchDatabase(
  kind: DatabaseKind,
  options: DatabaseBenchOptions,
): Promise<DatabaseFigures> {
  const { env, kafka, logger, say } = options;
  const names = { table: uniqueName('bench'), source: uniqueName('bench') };
  const prefix = uniqueName(options.secure?.prefix ?? 'rkbench');
  const db = await openBenchDatabase(kind, names);
  const config = captureBenchConfig({
    kind,
    captureUrl: db.captureUrl,
    kafkaBrokers: env.kafkaBrokers,
    prefix,
    ...(options.secure === undefined ? {} : { secure: options.secure }),
    ...names,
  });
  const start = () => startCapture({ config, logger });
  let capture: CaptureRun | undefined;
  const cleanUp = once(async () => {
    await capture?.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping capture failed'));
    // Said loudly: a slot left behind pins WAL, and the server allows only a few.
    await db
      .cleanUp()
      .catch((error: unknown) =>
        say(`${kind}: CLEAN-UP FAILED, drop ${db.leftovers} by hand (${describe(error)})`),
      );
    await deleteTopicsWithPrefix(kafka, prefix);
  });
  const unregister = onInterrupt(cleanUp);
  try {
    await db.setUp();
    say(`${kind}: table ${names.table}, source ${names.source}, topic prefix ${prefix}`);

    const first = await start();
    capture = first;
    await first.until(() => first.sink.commits > 0, SNAPSHOT_TIMEOUT_MS, `${kind}: the first snapshot`);
    await capture.stop();
    capture = undefined;

    const writeStart = performance.now();
    for (let id = 1; id <= env.rows; id += env.txRows)
      await db.insertBatch(id, Math.min(env.txRows, env.rows - id + 1));
    const writerRowsPerSec = env.rows / ((performance.now() - writeStart) / 1000);
    say(
      `${kind}: backlog of ${env.rows} rows in transactions of ${env.txRows} written (${Math.round(writerRowsPerSec)} rows/s); capture starts`,
    );

    capture = await start();
    const running = capture;
    let complete = true;
    await withCpuProfile(env.cpuProfileDir, `${kind}-throughput`, () =>
      running
        .until(
          () => running.sink.committedEvents >= env.rows,
          BACKLOG_TIMEOUT_MS,
          `${kind}: ${env.rows} events in Kafka`,
        )
        .catch((error: unknown) => {
          if (!(error instanceof WaitTimeoutError)) throw error;
          complete = false;
        }),
    );
    const cpu = process.cpuUsage(running.sink.cpuAtFirstAppend);
    const streamStart = running.sink.firstAppendAt ?? running.startedAt;
    const last = running.sink.lastCommitAt ?? performance.now();
    const seconds = (last - streamStart) / 1000;
    const stats = running.stats();
    const eventsPerSec = running.sink.committedEvents / seconds;
    const throughput = {
      rows: env.rows,
      seconds: Math.round(seconds * 100) / 100,
      startupMs: Math.round(streamStart - running.startedAt),
      complete,
      kafkaTransactions: stats.transactions,
      eventsPerKafkaTransaction: Math.round(stats.events / Math.max(1, stats.transactions)),
      processCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / (last - streamStart || 1)) * 100),
      writerRowsPerSec: Math.round(writerRowsPerSec),
    };
    say(
      `${kind}: throughput: ${Math.round(eventsPerSec)} events/s (${running.sink.committedEvents} events in ${throughput.seconds} s` +
        `${complete ? '' : ', INCOMPLETE: time limit reached'}; ${stats.transactions} Kafka transactions; process CPU ${throughput.processCpuPercent}%)`,
    );

    const topic = changeTopic(prefix, { source: names.source, database: '', table: names.table });
    const registry = await SchemaRegistry.open({ kafka, prefix });
    const probe: LatencyProbe = {
      watch: (onReceive) =>
        TopicWatcher.start({
          kafka,
          topic,
          onMessage: async (message, receivedAt) => {
            const keySchema = message.headers?.[KEY_SCHEMA_HEADER]?.toString();
            if (message.key === null || keySchema === undefined) return;
            const key = (await registry.resolve(keySchema)).decode(message.key) as { id: number };
            onReceive(key.id, receivedAt);
          },
        }),
      write: (id) => db.insertOne(id),
    };
    running.sink.tracing = true;
    const latency = await measureLatency(probe, {
      rate: env.rate,
      seconds: env.seconds,
      firstId: env.rows + 1,
      warmupId: 1_000_000_000,
      label: kind,
      say,
    });
    say(
      `${kind}: latency COMMIT→consumer: p50 ${latency.latencyMs.p50} ms, p99 ${latency.latencyMs.p99} ms, ` +
        `max ${latency.latencyMs.max} ms (${latency.received}/${latency.sent} rows, writer at ${latency.achievedRate}/s)`,
    );
    const stages = latencyStages(latency.sentAt, latency.receivedAt, running.sink.traces);
    say(
      `${kind}: latency stages p50/p99 ms: to connector ${stages.toConnectorMs.p50}/${stages.toConnectorMs.p99}, ` +
        `in connector ${stages.inConnectorMs.p50}/${stages.inConnectorMs.p99}, ` +
        `Kafka commit ${stages.kafkaCommitMs.p50}/${stages.kafkaCommitMs.p99}, ` +
        `to consumer ${stages.toConsumerMs.p50}/${stages.toConsumerMs.p99}`,
    );
    return {
      eventsPerSec: Math.round(eventsPerSec),
      latencyMs: latency.latencyMs,
      throughput,
      latency: {
        sent: latency.sent,
        received: latency.received,
        lost: latency.lost,
        achievedRate: latency.achievedRate,
        maxBehindMs: latency.maxBehindMs,
        stages,
      },
    };
  } finally {
    unregister();
    await cleanUp();
  }
}
