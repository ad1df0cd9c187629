// `npm run bench:capture`: for MariaDB, MySQL and PostgreSQL, row events/s that
// capture delivers into Kafka and COMMIT→consumer latency at a steady write
// rate, against a floor measured in the same run on the same broker (raw
// kafkajs transactional produce). Human-readable lines as it goes, then one
// JSON line with every figure on stdout.
//
// It runs capture in this process, started as `rowkube capture` starts it
// (the pipeline assembly, with a counting sink in its sink seam:
// support/capture-run.ts), against the local stack, which it does not start. Knobs: BENCH_ROWS, BENCH_TX_ROWS, BENCH_RATE, BENCH_SECONDS,
// BENCH_DATABASES (see support/bench-env.ts). The machine is small and
// shared: figures from one run are noisy; compare a capture figure with the
// floor of the same run, not with another run's.

import { cpus, loadavg } from 'node:os';
import { createKafka } from '../src/kafka/index.js';
import type { DatabaseKind } from '../support/admin-database.js';
import { type CaptureBenchEnv, captureBenchEnv } from './support/bench-env.js';
import { benchLogger, runBench, say } from './support/bench-main.js';
import { benchDatabase, type DatabaseFigures } from './support/database-bench.js';
import { benchFloor, type FloorFigures } from './support/kafka-floor.js';
import { describe, machineInfo } from './support/report.js';

const logger = benchLogger();

async function main(env: CaptureBenchEnv): Promise<number> {
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  const loadBefore = loadavg()[0] ?? 0;
  say(
    `capture bench: ${env.rows} backlog rows (${env.txRows} per transaction), then ${env.rate} rows/s for ` +
      `${env.seconds} s; ${cpus().length} CPUs, load average ${loadBefore.toFixed(2)} ` +
      '(other work on this machine skews every figure)',
  );

  const figures: Partial<Record<DatabaseKind, DatabaseFigures | { error: string }>> = {};
  let failed = false;
  for (const kind of env.databases) {
    try {
      figures[kind] = await benchDatabase(kind, { env, kafka, logger, say });
    } catch (error) {
      failed = true;
      figures[kind] = { error: describe(error) };
      say(`${kind}: FAILED: ${describe(error)}`);
    }
  }
  let floor: FloorFigures | { error: string };
  try {
    floor = await benchFloor({ kafka, rows: env.rows, rate: env.rate, seconds: env.seconds, say });
  } catch (error) {
    failed = true;
    floor = { error: describe(error) };
    say(`floor: FAILED: ${describe(error)}`);
  }

  const ratio: Partial<Record<DatabaseKind, number | null>> = {};
  for (const kind of env.databases) {
    const f = figures[kind];
    ratio[kind] =
      f !== undefined && 'eventsPerSec' in f && 'eventsPerSec' in floor
        ? Math.round((f.eventsPerSec / floor.eventsPerSec) * 1000) / 1000
        : null;
  }
  for (const kind of env.databases)
    say(`${kind}: capture events/s ÷ floor messages/s = ${ratio[kind] ?? 'n/a'}`);
  const result = {
    bench: 'capture',
    rows: env.rows,
    txRows: env.txRows,
    rate: env.rate,
    seconds: env.seconds,
    ...figures,
    floor,
    ratio,
    machine: machineInfo(loadBefore),
  };
  say(JSON.stringify(result));
  return failed ? 1 : 0;
}

runBench('bench:capture', captureBenchEnv, main);
