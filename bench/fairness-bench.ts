// `npm run bench:fairness` (BENCH_TENANTS, default 10,000; BENCH_CONCURRENCY,
// default 16; BENCH_STEADY_SECONDS, default 20): does a single-row change to
// an existing tenant wait behind a bulk of new ones? Against the local
// stack's MariaDB, Kafka and kube-apiserver, which it does not start. One
// `rowkube run` process (a child, support/single-run.ts), then:
//
// - 100 existing tenants (ids after the bulk's), applied and watched;
// - phase 1, the floor: 20 updates/s to them, alone;
// - phase 2: the same stream while a bulk of BENCH_TENANTS new tenants ×
//   3 objects is committed (support/counted-bulk.ts) and applied.
//
// Each update is timed from the writer's clock before the UPDATE to the watch
// event that shows its ConfigMap with the new revision (watched-updates.ts).
// The same updates split per stage (capture, process, apply) from the stage
// times their audit events carry (e2e-stages.ts), to show where a wait is.
// Issue 14's aim: p99 ≤ 1 s during the bulk.
//
// Progress lines as it goes, then one JSON line with every figure on stdout.

import { loadavg } from 'node:os';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import { AuditFollower } from '../support/audit-follower.js';
import { UPDATED_RESOURCE } from './support/bench-config.js';
import { type FairnessBenchEnv, fairnessBenchEnv } from './support/bench-env.js';
import { notRun, Phases, runBench, say } from './support/bench-main.js';
import { ChildLoopDelay, type LoopDelayFigures } from './support/child-loop-delay.js';
import { type CountedBulkFigures, countedBulk } from './support/counted-bulk.js';
import { childCpuProfileEnv } from './support/cpu-profile.js';
import { matchedWrites } from './support/e2e-latency.js';
import { type StageFigures, stageFigures } from './support/e2e-stages.js';
import { once, onInterrupt } from './support/interrupt.js';
import { ObjectCounter } from './support/object-count.js';
import { machineInfo } from './support/report.js';
import { exitAsFailure, SingleRun } from './support/single-run.js';
import { WatchedKind } from './support/watched-kind.js';
import { type UpdateFigures, WatchedUpdates } from './support/watched-updates.js';

/** Issue 14's steady stream and aim. */
const RATE = 20;
const AIM_P99_MS = 1_000;
/** Existing tenants the stream updates in turn. */
const STEADY_TENANTS = 100;
/** After the writer stops, how long the last updates may take before they count as missing. */
const GRACE_MS = 60_000;

async function main(env: FairnessBenchEnv): Promise<number> {
  const loadBefore = loadavg()[0] ?? 0;
  say(
    `fairness bench: ${RATE} updates/s to ${STEADY_TENANTS} existing tenants, alone for ${env.steadySeconds} s, ` +
      `then during a bulk of ${env.tenants} new tenants × 3 objects; concurrency ${env.concurrency}; ` +
      `load average ${loadBefore.toFixed(2)}`,
  );
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const counter = new ObjectCounter(env.kubeconfig);
  const run = new SingleRun({
    name: 'rkfair',
    kafka,
    kube,
    kafkaBrokers: env.kafkaBrokers,
    kubeconfig: env.kubeconfig,
    mysqlUrl: env.mysqlUrl,
    concurrency: env.concurrency,
    env: childCpuProfileEnv(env.cpuProfileDir, env.nodeOptions),
  });
  const cleanUp = once(() => run.cleanUp());
  const unregister = onInterrupt(cleanUp);
  const phases = new Phases(say);
  let floor = notRun<UpdateFigures>();
  let during = notRun<UpdateFigures>();
  let bulk = notRun<CountedBulkFigures>();
  let floorStages: StageFigures | undefined;
  let duringStages: StageFigures | undefined;
  let loopDelay: LoopDelayFigures | null = null;
  let audit: AuditFollower | undefined;
  let configMaps: WatchedKind | undefined;
  let updates: WatchedUpdates | undefined;
  try {
    const database = await run.setUp();
    const steady = { firstId: env.tenants + 1, count: STEADY_TENANTS };
    await run.start(0);
    // Where an update's time went (capture, process, apply), from the stage times its audit event carries.
    const events = new AuditFollower(kafka, run.prefix);
    audit = events;
    await events.follow({ waitForTopicMs: 60_000 });
    const stagesOf = (watched: WatchedUpdates) =>
      stageFigures(
        matchedWrites(watched.writes, (nodeId) => events.configuredAtMs(nodeId, UPDATED_RESOURCE)),
        events.events,
        UPDATED_RESOURCE,
      );
    configMaps = await WatchedKind.open(kube, 'v1', 'ConfigMap', 'app.kubernetes.io/name=tenant');
    await database.insertTenants(steady.firstId, steady.count, steady.count);
    await configMaps.until(
      `${steady.count} existing tenants' ConfigMaps`,
      { count: steady.count, matches: (object) => object.metadata.namespace === run.namespace },
      120_000,
    );
    const watched = new WatchedUpdates(database, configMaps, steady);
    updates = watched;
    await phases.run(
      'floor',
      async () => {
        floor = await watched.run(RATE, env.steadySeconds, GRACE_MS);
        floorStages = stagesOf(watched);
        say(`floor: ${JSON.stringify(floor)}`);
      },
      (failure) => {
        floor = failure;
      },
    );
    await phases.run(
      'during the bulk',
      async () => {
        const exited = exitAsFailure(run.replica.process);
        const stopWriter = new AbortController();
        const loop = new ChildLoopDelay(run.replica);
        await loop.start();
        const stream = watched.run(RATE, Number.POSITIVE_INFINITY, GRACE_MS, stopWriter.signal);
        try {
          bulk = await countedBulk({
            database,
            counter,
            namespace: run.namespace,
            tenants: env.tenants,
            stallMs: 120_000,
            abandon: exited,
            say,
          });
        } finally {
          stopWriter.abort();
        }
        loopDelay = await loop.end();
        during = await stream;
        duringStages = stagesOf(watched);
        say(`bulk: ${env.tenants} tenants' objects in the apiserver after ${bulk.seconds} s`);
        say(`during the bulk: ${JSON.stringify(during)} (aim p99 ≤ ${AIM_P99_MS} ms)`);
      },
      (failure) => {
        during = failure;
      },
    );
  } catch {
    say(run.describe());
  } finally {
    unregister();
    updates?.close();
    await audit?.close().catch(() => undefined);
    configMaps?.close();
    await cleanUp();
    counter.close();
    kube.close();
  }
  say(
    JSON.stringify({
      bench: 'fairness',
      tenants: env.tenants,
      concurrency: env.concurrency,
      rate: RATE,
      floor,
      duringBulk: during,
      bulkSeconds: 'seconds' in bulk ? bulk.seconds : null,
      stages: { floor: floorStages ?? null, duringBulk: duringStages ?? null },
      eventLoopDelayMs: { duringBulk: loopDelay },
      nodeOptions: env.nodeOptions ?? null,
      bulk,
      aim: { p99Ms: AIM_P99_MS },
      machine: machineInfo(loadBefore),
    }),
  );
  return phases.failed ? 1 : 0;
}

runBench('bench:fairness', fairnessBenchEnv, main);
