// `npm run bench:process`: the stream processor's desired records/s from a
// backlog of tenants and the latency it adds at a steady rate of tenant
// updates, against a floor measured in the same run (a raw kafkajs
// consume-transform-produce loop with the processor's consumer settings and
// transactions, and a transform that does nothing). Human-readable lines as
// it goes, then one JSON line with every figure on stdout.
//
// It runs capture and the processor in this process, wired as `rowkube
// capture` and `rowkube process` wire them, against the local stack, which it
// does not start. Knobs: BENCH_TENANTS, BENCH_FLAGGED_EVERY, BENCH_RATE,
// BENCH_SECONDS, BENCH_CPU_PROFILE (see support/bench-env.ts), and
// BENCH_LOG_LEVEL for rowkube's and kafkajs's logs on stderr. The machine
// is small and shared: compare the processor's figures with the floor of the
// same run, not with another run's.

import { cpus, loadavg } from 'node:os';
import { createKafka } from '../src/kafka/index.js';
import { type ProcessorBenchEnv, processorBenchEnv } from './support/bench-env.js';
import { benchLogger, runBench, say } from './support/bench-main.js';
import { runProcessorScenario, type ScenarioFigures } from './support/processor-scenario.js';
import { describe, machineInfo } from './support/report.js';

const logger = benchLogger();

async function main(env: ProcessorBenchEnv): Promise<number> {
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench', logger });
  const loadBefore = loadavg()[0] ?? 0;
  say(
    `processor bench: backlog of ${env.tenants} tenants (1 in ${env.flaggedEvery} with 2 feature flags), then ` +
      `${env.rate} tenant updates/s for ${env.seconds} s; ${cpus().length} CPUs, load average ${loadBefore.toFixed(2)} ` +
      '(other work on this machine skews every figure)',
  );

  let figures: ScenarioFigures | { error: string };
  try {
    figures = await runProcessorScenario({ env, kafka, logger, say });
  } catch (error) {
    figures = { error: describe(error) };
    say(`FAILED: ${describe(error)}`);
  }

  const ratio = ratios(figures);
  say(
    `processor ÷ floor: throughput ${ratio.throughput ?? 'n/a'}, ` +
      `added latency p50 ${ratio.latencyP50 ?? 'n/a'}, p99 ${ratio.latencyP99 ?? 'n/a'}`,
  );
  const result = {
    bench: 'process',
    tenants: env.tenants,
    flaggedEvery: env.flaggedEvery,
    rate: env.rate,
    seconds: env.seconds,
    ...('error' in figures ? { error: figures.error } : figures),
    ratio,
    machine: machineInfo(loadBefore),
  };
  say(JSON.stringify(result));
  return failed(figures) ? 1 : 0;
}

/** Processor ÷ floor: desired records/s over floor records/s, and added latency over the floor's. */
function ratios(figures: ScenarioFigures | { error: string }): {
  throughput: number | null;
  latencyP50: number | null;
  latencyP99: number | null;
} {
  const none = { throughput: null, latencyP50: null, latencyP99: null };
  if ('error' in figures || 'error' in figures.processor || 'error' in figures.floor) return none;
  const { processor, floor } = figures;
  const latency =
    'error' in processor.latency || 'error' in floor.latency
      ? { latencyP50: null, latencyP99: null }
      : {
          latencyP50: ratio(processor.latency.addedMs.p50, floor.latency.addedMs.p50),
          latencyP99: ratio(processor.latency.addedMs.p99, floor.latency.addedMs.p99),
        };
  return {
    throughput: ratio(processor.throughput.desiredPerSec, floor.throughput.recordsPerSec),
    ...latency,
  };
}

function ratio(a: number, b: number): number | null {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? Math.round((a / b) * 1000) / 1000 : null;
}

function failed(figures: ScenarioFigures | { error: string }): boolean {
  if ('error' in figures) return true;
  const { processor, floor } = figures;
  return 'error' in processor || 'error' in processor.latency || 'error' in floor || 'error' in floor.latency;
}

runBench('bench:process', processorBenchEnv, main);
