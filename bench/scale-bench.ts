// `npm run bench:scale` (BENCH_TENANTS, default 100,000; BENCH_CONCURRENCY,
// default 16; BENCH_DRIFT_SECONDS, default 60; BENCH_HEAP_SNAPSHOT): how `rowkube run` grows with
// the number of tenants. Against the local stack's MariaDB, Kafka and
// kube-apiserver, which it does not start. In one run:
//
// - floor: plain server-side apply of the bulk's objects (3 per tenant: a
//   ConfigMap, a Secret, a Service), nothing else running, at the sink's
//   requests in flight (support/sink-floor.ts), in a namespace of its own;
// - bulk: one `rowkube run` process (a child: /proc counts its memory and CPU
//   alone), N tenants committed in a few large transactions, timed from the
//   first COMMIT to the poll that counts every object in the apiserver (a
//   list of limit=1 per kind, support/object-count.ts); then the process's
//   peak RSS (VmHWM);
// - restart: SIGTERM, a new process with every node live: spawn → /readyz
//   (the processor rebuilds its hub rows and the sink reads the desired topic
//   and lists its inventory);
// - drift pass: the restarted process runs the drift pass every
//   BENCH_DRIFT_SECONDS; its first pass (paced over the interval, from its
//   "drift pass started" to its "drift pass finished" log line) is measured
//   in CPU seconds of the process, and net of the idle rate measured before it.
//
// BENCH_SKIP=floor,drift leaves those phases out (their figures read
// {"skipped": true}), for quicker runs while iterating; without the drift
// phase the restarted process runs with drift off and its peak RSS is read
// SETTLE_MS after ready. BENCH_CPU_PROFILE=<dir>: each rowkube process (the
// bulk's and the restarted one) writes a CPU profile into the directory.
//
// BENCH_HEAP_SNAPSHOT=<dir>: the process also writes a heap snapshot after the
// bulk and at the end (bench/support/heap-capture.ts), and the JSON gets the
// retained size of each holder (`heap`), the watch cache's among them. Meant
// for runs up to some 30,000 tenants: a snapshot stops the process for
// seconds and takes memory of its own, and the bench reads it whole.
//
// Progress lines as it goes, then one JSON line with every figure on stdout.
// Everything it makes (table, topics, groups, namespaces) is removed at the
// end and on Ctrl-C; the namespaces' objects go in the background.

import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import { waitFor } from '../support/wait-for.js';
import { e2eConfig, OBJECTS_PER_TENANT } from './support/bench-config.js';
import { type ScaleBenchEnv, scaleBenchEnv } from './support/bench-env.js';
import { notRun, Phases, runBench, say } from './support/bench-main.js';
import { type CountedBulkFigures, countedBulk } from './support/counted-bulk.js';
import { childCpuProfileEnv } from './support/cpu-profile.js';
import { benchE2eFloor } from './support/e2e-floor.js';
import { captureHeap, heapSnapshotEnv } from './support/heap-capture.js';
import type { HeapSummary } from './support/heap-snapshot.js';
import { once, onInterrupt } from './support/interrupt.js';
import { ObjectCounter } from './support/object-count.js';
import { peakRssBytes, rssBytes } from './support/process-memory.js';
import { machineInfo, round2 } from './support/report.js';
import { exitAsFailure, SingleRun } from './support/single-run.js';
import { pidCpuSeconds } from './support/sink-cpu.js';
import type { FloorFigures } from './support/sink-floor.js';
import { createNamespaces, deleteNamespaces, leftoverNamespaces } from './support/sink-namespaces.js';

/** Issue 14's aims on this 2-core machine. */
const AIM = { bulkOfFloor: 1.3, peakRssMiB: 1024, restartReadySeconds: 60 };
/** Log lines of the restarted process that mark its way to ready: where the start-up's time goes. */
const RESTART_STEPS = {
  lookupsRead: 'lookups read',
  hubsTakenOver: 'hub partitions taken over',
  sinkStateRead: 'inventory listed and desired state read',
  processorRunning: 'processor running',
  sinkRunning: 'sink running',
} as const;
/** After the restart's ready: the start-up's own work dies down before the idle rate is taken. */
const SETTLE_MS = 15_000;

interface DriftFigures {
  intervalSeconds: number;
  nodes: number;
  /** "drift pass started" → "drift pass finished", as the process logged them. */
  seconds: number;
  /** CPU seconds of the process during the pass. */
  cpuSeconds: number;
  /** The same less what the process spends idle (its rate before the pass) over the pass's length. */
  netCpuSeconds: number;
  idleCorePct: number;
  /** Net CPU per 1,000 nodes, ms. */
  cpuMsPer1000Nodes: number;
}

const MiB = (bytes: number | undefined) => (bytes === undefined ? null : round2(bytes / 2 ** 20));

async function main(env: ScaleBenchEnv): Promise<number> {
  const loadBefore = loadavg()[0] ?? 0;
  say(
    `scale bench: ${env.tenants} tenants × ${OBJECTS_PER_TENANT} objects through one rowkube run, ` +
      `${env.concurrency} requests in flight, drift pass every ${env.driftSeconds} s after the restart; ` +
      `load average ${loadBefore.toFixed(2)}`,
  );
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const counter = new ObjectCounter(env.kubeconfig);
  const leftovers = await leftoverNamespaces(kube);
  if (leftovers.length > 0)
    say(
      `warning: ${leftovers.length} namespaces of earlier runs are still there; figures read low until they are gone`,
    );
  const run = new SingleRun({
    name: 'rkscale',
    kafka,
    kube,
    kafkaBrokers: env.kafkaBrokers,
    kubeconfig: env.kubeconfig,
    mysqlUrl: env.mysqlUrl,
    concurrency: env.concurrency,
    env: childEnv(env),
  });
  const floorNamespace = `${run.namespace}-floor`;
  const cleanUp = once(async () => {
    await run.cleanUp();
    await deleteNamespaces(kube, [floorNamespace]);
  });
  const unregister = onInterrupt(cleanUp);

  const phases = new Phases(say);
  let floor = notRun<FloorFigures>();
  let bulk = notRun<CountedBulkFigures>();
  let bulkPeakRss: number | undefined;
  let readyRss: number | undefined;
  let restart = notRun<{
    readySeconds: number;
    secondsPer10kNodes: number;
    /** Seconds after spawn of each step's log line (RESTART_STEPS). */
    steps: Record<string, number | null>;
  }>();
  let drift = notRun<DriftFigures>();
  let restartPeakRss: number | undefined;
  const heap: { bulk?: HeapSummary; restarted?: HeapSummary } = {};
  // After the peak RSS is read: writing a snapshot takes memory of its own.
  const snapshot = async (at: keyof typeof heap) => {
    if (env.heapSnapshotDir === undefined) return;
    heap[at] = await captureHeap(run.replica, env.heapSnapshotDir);
    say(`heap after the ${at === 'bulk' ? 'bulk' : 'restart'}: ${MiB(heap[at].liveBytes)} MiB live`);
  };
  try {
    const database = await run.setUp();
    await phases.run(
      'floor',
      async () => {
        if (env.skip.has('floor')) {
          floor = { skipped: true } as unknown as FloorFigures;
          return;
        }
        await createNamespaces(kube, [floorNamespace]);
        const config = e2eConfig({
          prefix: run.prefix,
          kafkaBrokers: env.kafkaBrokers,
          kubeconfig: env.kubeconfig,
          mysqlUrl: env.mysqlUrl,
          source: run.prefix,
          table: run.table,
          namespace: floorNamespace,
          concurrency: env.concurrency,
        });
        floor = await benchE2eFloor(kube, {
          config,
          firstId: 1,
          count: env.tenants,
          ownerPrefix: `${run.prefix}_floor`,
          namespace: floorNamespace,
        });
        say(
          `floor: raw server-side apply of ${floor.objects} objects in ${floor.seconds} s (${floor.objectsPerSec}/s)`,
        );
      },
      (failure) => {
        floor = failure;
      },
    );
    await phases.run(
      'bulk',
      async () => {
        const ready = await run.start(0);
        say(`rowkube run ready after ${round2(ready)} s; committing the bulk`);
        const process = run.replica.process;
        readyRss = rssBytes(process.pid as number);
        const exited = exitAsFailure(process);
        bulk = await countedBulk({
          database,
          counter,
          namespace: run.namespace,
          tenants: env.tenants,
          stallMs: 180_000,
          abandon: exited,
          say,
        });
        bulkPeakRss = peakRssBytes(process.pid as number);
        const ofFloor = 'seconds' in floor ? ` = ${round2(bulk.seconds / floor.seconds)}× the floor` : '';
        say(
          `bulk: every object in the apiserver ${bulk.seconds} s after the first COMMIT (${bulk.objectsPerSec}/s)` +
            `${ofFloor}; peak RSS ${MiB(bulkPeakRss)} MiB`,
        );
        await snapshot('bulk');
      },
      (failure) => {
        bulk = failure;
      },
    );
    await phases.run(
      'restart',
      async () => {
        await run.stop();
        const driftSeconds = env.skip.has('drift') ? 0 : env.driftSeconds;
        const readySeconds = await run.start(driftSeconds);
        const spawnedAt = Date.now() - readySeconds * 1000;
        const steps: Record<string, number | null> = {};
        for (const [step, message] of Object.entries(RESTART_STEPS)) {
          const line = run.replica.process.logLines(new RegExp(message)).at(0);
          steps[step] = line === undefined ? null : round2((line.time - spawnedAt) / 1000);
        }
        restart = {
          readySeconds: round2(readySeconds),
          secondsPer10kNodes: round2((readySeconds / env.tenants) * 10_000),
          steps,
        };
        say(`restart: ready ${restart.readySeconds} s after spawn with ${env.tenants} live nodes`);
        if (env.skip.has('drift')) {
          await sleep(SETTLE_MS);
          restartPeakRss = peakRssBytes(run.replica.process.pid as number);
          await snapshot('restarted');
        }
      },
      (failure) => {
        restart = failure;
      },
    );
    await phases.run(
      'drift pass',
      async () => {
        if (env.skip.has('drift')) {
          drift = { skipped: true } as unknown as DriftFigures;
          return;
        }
        const process = run.replica.process;
        const pid = process.pid as number;
        await sleep(SETTLE_MS);
        const idleFrom = { at: Date.now(), cpu: pidCpuSeconds(pid) as number };
        const logged = (what: string) => process.logLines(new RegExp(what)).at(-1);
        const waitLogged = (what: string, timeoutMs: number) =>
          waitFor(`"${what}" in the log`, () => (logged(what) === undefined ? undefined : true), {
            timeoutMs,
            intervalMs: 100,
          });
        await waitLogged('drift pass started', 2 * env.driftSeconds * 1000 + 60_000);
        const start = { at: Date.now(), cpu: pidCpuSeconds(pid) as number };
        const idleRate = (start.cpu - idleFrom.cpu) / ((start.at - idleFrom.at) / 1000);
        // A pass the apiserver cannot keep up with takes longer than its interval.
        await waitLogged('drift pass finished', 20 * env.driftSeconds * 1000 + 600_000);
        const end = { at: Date.now(), cpu: pidCpuSeconds(pid) as number };
        restartPeakRss = peakRssBytes(pid);
        const finished = logged('drift pass finished') as unknown as { nodes: number; seconds: number };
        const cpuSeconds = end.cpu - start.cpu;
        const netCpuSeconds = Math.max(0, cpuSeconds - idleRate * ((end.at - start.at) / 1000));
        drift = {
          intervalSeconds: env.driftSeconds,
          nodes: finished.nodes,
          seconds: round2(finished.seconds),
          cpuSeconds: round2(cpuSeconds),
          netCpuSeconds: round2(netCpuSeconds),
          idleCorePct: round2(idleRate * 100),
          cpuMsPer1000Nodes: round2((netCpuSeconds * 1000 * 1000) / Math.max(1, finished.nodes)),
        };
        say(
          `drift pass: ${drift.nodes} nodes in ${drift.seconds} s, ${drift.cpuSeconds} CPU s ` +
            `(${drift.netCpuSeconds} s above the idle ${drift.idleCorePct} % of a core)`,
        );
        await snapshot('restarted');
      },
      (failure) => {
        drift = failure;
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
  const bulkOfFloor = 'seconds' in bulk && 'seconds' in floor ? round2(bulk.seconds / floor.seconds) : null;
  say(
    JSON.stringify({
      bench: 'scale',
      database: 'mariadb',
      tenants: env.tenants,
      objects: env.tenants * OBJECTS_PER_TENANT,
      concurrency: env.concurrency,
      floor,
      bulk,
      bulkOfFloor,
      peakRssMiB: { bulk: MiB(bulkPeakRss), restarted: MiB(restartPeakRss) },
      // An upper bound: the bulk's own transient memory (queues, batches) is in the peak too.
      bytesPerNode:
        bulkPeakRss === undefined || readyRss === undefined
          ? null
          : Math.round((bulkPeakRss - readyRss) / env.tenants),
      readyRssMiB: MiB(readyRss),
      nodeOptions: env.nodeOptions ?? null,
      heap: heapFigures(heap, env.tenants),
      restart,
      drift,
      aim: AIM,
      leftoverNamespacesAtStart: leftovers.length,
      machine: machineInfo(loadBefore),
    }),
  );
  return phases.failed ? 1 : 0;
}

/** NODE_OPTIONS of the rowkube process: BENCH_NODE_OPTIONS, the heap-snapshot signal with BENCH_HEAP_SNAPSHOT, the profiler with BENCH_CPU_PROFILE. */
function childEnv(env: ScaleBenchEnv): NodeJS.ProcessEnv | undefined {
  const snapshot =
    env.heapSnapshotDir === undefined ? undefined : heapSnapshotEnv(env.heapSnapshotDir).NODE_OPTIONS;
  return childCpuProfileEnv(
    env.cpuProfileDir,
    [env.nodeOptions, snapshot].filter(Boolean).join(' ') || undefined,
  );
}

/**
 * The heap snapshots' summaries (BENCH_HEAP_SNAPSHOT): live heap, each holder
 * of at least 1 % of it in MiB and bytes per node, and the watch cache's
 * bytes per cached object.
 */
function heapFigures(heap: { bulk?: HeapSummary; restarted?: HeapSummary }, tenants: number) {
  const figures = (summary: HeapSummary | undefined) => {
    if (summary === undefined) return null;
    const holders = summary.holders
      .filter((h) => h.retainedBytes >= summary.liveBytes / 100)
      .map((h) => ({
        holder: h.holder,
        MiB: MiB(h.retainedBytes),
        bytesPerNode: Math.round(h.retainedBytes / tenants),
      }));
    // The cache's objects sit in its ObjectStore, which its reflectors hold too (so OwnedCache does not dominate it).
    const retained = (holder: string) => summary.holders.find((h) => h.holder === holder)?.retainedBytes;
    const store = retained('OwnedCache.store') === undefined ? (retained('ObjectStore') ?? 0) : 0;
    const cacheBytes =
      retained('OwnedCache') === undefined ? undefined : (retained('OwnedCache') as number) + store;
    return {
      liveMiB: MiB(summary.liveBytes),
      liveBytesPerNode: Math.round(summary.liveBytes / tenants),
      cacheBytesPerObject:
        cacheBytes === undefined ? null : Math.round(cacheBytes / (tenants * OBJECTS_PER_TENANT)),
      holders,
    };
  };
  return heap.bulk === undefined && heap.restarted === undefined
    ? null
    : { bulk: figures(heap.bulk), restarted: figures(heap.restarted) };
}

runBench('bench:scale', scaleBenchEnv, main);
