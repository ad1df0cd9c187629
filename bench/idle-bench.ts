// `npm run bench:idle` (BENCH_TENANTS, default 10,000; BENCH_IDLE_SECONDS,
// default 300): what `rowkube run` costs while nothing changes. Against the
// local stack's MariaDB, Kafka and kube-apiserver, which it does not start.
// One `rowkube run` process (a child, so that /proc counts its CPU alone),
// the drift pass off (its cost is bench:scale's figure, spread over its
// interval), then:
//
// - a window with 0 tenants: the fixed overhead (consumer fetch loops,
//   heartbeats, lag reads, metrics);
// - a bulk of N tenants × 3 objects, then a window with N live tenants and no
//   changes: what grows with the tenants.
//
// Each window starts after a short settling pause and reports the CPU seconds
// of the process over the window and the share of one core. Issue 14's aim:
// ≤ 1 % of a core with 10,000 tenants.
//
// Progress lines as it goes, then one JSON line with every figure on stdout.

import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import { type IdleBenchEnv, idleBenchEnv } from './support/bench-env.js';
import { notRun, Phases, runBench, say } from './support/bench-main.js';
import { type CountedBulkFigures, countedBulk } from './support/counted-bulk.js';
import { once, onInterrupt } from './support/interrupt.js';
import { ObjectCounter } from './support/object-count.js';
import { peakRssBytes } from './support/process-memory.js';
import { machineInfo, round2 } from './support/report.js';
import { exitAsFailure, SingleRun } from './support/single-run.js';
import { pidCpuSeconds } from './support/sink-cpu.js';

/** Issue 14's aim for 10,000 idle tenants, in % of one core. */
const AIM_CORE_PCT = 1;
/** After start-up or a bulk: commits, GC and the last audit sends die down first. */
const SETTLE_MS = 20_000;

interface IdleWindow {
  seconds: number;
  cpuSeconds: number;
  /** CPU ÷ wall time, in % of one core. */
  corePct: number;
}

async function idleWindow(pid: number, seconds: number): Promise<IdleWindow> {
  await sleep(SETTLE_MS);
  const before = pidCpuSeconds(pid);
  const startedAt = Date.now();
  await sleep(seconds * 1000);
  const after = pidCpuSeconds(pid);
  if (before === undefined || after === undefined) throw new Error('rowkube run exited during the window');
  const wall = (Date.now() - startedAt) / 1000;
  return {
    seconds: round2(wall),
    cpuSeconds: round2(after - before),
    corePct: round2(((after - before) / wall) * 100),
  };
}

async function main(env: IdleBenchEnv): Promise<number> {
  const loadBefore = loadavg()[0] ?? 0;
  say(
    `idle bench: rowkube run idle with 0, then ${env.tenants} tenants × 3 objects, ${env.seconds} s windows; ` +
      `load average ${loadBefore.toFixed(2)}`,
  );
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const counter = new ObjectCounter(env.kubeconfig);
  const run = new SingleRun({
    name: 'rkidle',
    kafka,
    kube,
    kafkaBrokers: env.kafkaBrokers,
    kubeconfig: env.kubeconfig,
    mysqlUrl: env.mysqlUrl,
    concurrency: 16,
  });
  const cleanUp = once(() => run.cleanUp());
  const unregister = onInterrupt(cleanUp);
  const phases = new Phases(say);
  let zero = notRun<IdleWindow>();
  let bulk = notRun<CountedBulkFigures>();
  let live = notRun<IdleWindow>();
  let peakRss: number | undefined;
  try {
    const database = await run.setUp();
    await phases.run(
      '0 tenants',
      async () => {
        const ready = await run.start(0);
        say(`started: ready after ${round2(ready)} s; measuring ${env.seconds} s with 0 tenants`);
        const window = await idleWindow(run.replica.process.pid as number, env.seconds);
        zero = window;
        say(`0 tenants: ${window.cpuSeconds} CPU s in ${window.seconds} s = ${window.corePct} % of a core`);
      },
      (failure) => {
        zero = failure;
      },
    );
    await phases.run(
      'bulk',
      async () => {
        const exited = exitAsFailure(run.replica.process);
        bulk = await countedBulk({
          database,
          counter,
          namespace: run.namespace,
          tenants: env.tenants,
          stallMs: 120_000,
          abandon: exited,
          say,
        });
        say(`bulk: ${env.tenants} tenants' objects in the apiserver after ${bulk.seconds} s`);
      },
      (failure) => {
        bulk = failure;
      },
    );
    await phases.run(
      `${env.tenants} tenants`,
      async () => {
        const pid = run.replica.process.pid as number;
        const window = await idleWindow(pid, env.seconds);
        live = window;
        peakRss = peakRssBytes(pid);
        say(
          `${env.tenants} tenants: ${window.cpuSeconds} CPU s in ${window.seconds} s = ${window.corePct} % of a core ` +
            `(aim ≤ ${AIM_CORE_PCT} %)`,
        );
      },
      (failure) => {
        live = failure;
      },
    );
  } catch {
    say(run.describe());
  } finally {
    unregister();
    await cleanUp();
    counter.close();
    kube.close();
  }
  say(
    JSON.stringify({
      bench: 'idle',
      tenants: env.tenants,
      windowSeconds: env.seconds,
      drift: 'off',
      zeroTenants: zero,
      bulk,
      liveTenants: live,
      peakRssMiB: peakRss === undefined ? null : round2(peakRss / 2 ** 20),
      aim: { corePct: AIM_CORE_PCT },
      machine: machineInfo(loadBefore),
    }),
  );
  return phases.failed ? 1 : 0;
}

runBench('bench:idle', idleBenchEnv, main);
