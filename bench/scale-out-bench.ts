// `npm run bench:scale-out [-- --tenants N] [--concurrency N] [--partitions N]`:
// does a second `rowkube run` replica add apply throughput? Against the local
// stack's MariaDB, Kafka and kube-apiserver, which it does not start, in one
// run:
//
// - floors: plain server-side apply of the bulk's objects, nothing else
//   running (the e2e bench's floor), at one sink's requests in flight and at
//   twice that (two replicas, two sinks);
// - 1 replica, then 2 replicas (leader election on, topics with
//   --partitions partitions so that two replicas split the processing and
//   the applying): the e2e bench's bulk of N tenants × 3 objects, first
//   COMMIT → the last object in place, each phase on a fresh table, prefix
//   and namespace.
//
// The ratio is objects/s with 2 replicas ÷ with 1. Each is also given as a
// share of the floor: the apiserver (with etcd, Kafka and the databases) runs
// on the same 2 cores, so when one replica already reaches most of the floor
// a second cannot add much, and the report says so.
//
// Progress lines as it goes, then one JSON line with every figure on stdout.

import { cpus, loadavg } from 'node:os';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import { uniqueName } from '../support/stack-env.js';
import { e2eConfig } from './support/bench-config.js';
import { type ScaleOutBenchEnv, scaleOutBenchEnv } from './support/bench-env.js';
import { notRun, Phases, runBench, say } from './support/bench-main.js';
import type { BulkFigures } from './support/e2e-bulk.js';
import { benchE2eFloor } from './support/e2e-floor.js';
import { once, onInterrupt } from './support/interrupt.js';
import { machineInfo, round2 } from './support/report.js';
import { runScaleOutPhase } from './support/scale-out-phase.js';
import { cpuLine } from './support/sink-cpu.js';
import type { FloorFigures } from './support/sink-floor.js';
import { createNamespaces, deleteNamespaces, leftoverNamespaces } from './support/sink-namespaces.js';

/** One replica reaching this share of the floor means the apiserver side, not rowkube, sets the pace. */
const APISERVER_BOUND_SHARE = 0.7;
/** The measured processes alone keeping this share of all cores busy means the machine is the limit. */
const CPU_BOUND_SHARE = 0.8;

async function main(env: ScaleOutBenchEnv): Promise<number> {
  const loadBefore = loadavg()[0] ?? 0;
  say(
    `scale-out bench: bulk of ${env.tenants} tenants × 3 objects with 1, then 2 rowkube run replicas ` +
      `(${env.partitions} partitions, ${env.concurrency} requests in flight each); ${cpus().length} CPUs, ` +
      `load average ${loadBefore.toFixed(2)}`,
  );
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const leftovers = await leftoverNamespaces(kube);
  if (leftovers.length > 0)
    say(
      `warning: ${leftovers.length} namespaces of earlier runs are still there; every figure reads low until they are gone`,
    );
  const floorPrefix = uniqueName('rkscalefloor');
  const namespaces: string[] = [];
  const cleanUp = once(async () => {
    await deleteNamespaces(kube, namespaces);
  });
  const unregister = onInterrupt(cleanUp);

  const phases = new Phases(say);
  const floors: Record<'single' | 'double', FloorFigures | { error: string }> = {
    single: notRun(),
    double: notRun(),
  };
  const bulks: Record<'1' | '2', BulkFigures | { error: string }> = { '1': notRun(), '2': notRun() };
  try {
    // Two floors: at one replica's requests in flight, and at two replicas' (each has its own sink).
    for (const inFlight of [env.concurrency, 2 * env.concurrency]) {
      await phases.run(
        `floor at ${inFlight} in flight`,
        async () => {
          const namespace = `${floorPrefix.replaceAll('_', '-')}-${inFlight}`;
          namespaces.push(namespace);
          await createNamespaces(kube, [namespace]);
          const config = e2eConfig({
            prefix: floorPrefix,
            kafkaBrokers: env.kafkaBrokers,
            kubeconfig: env.kubeconfig,
            mysqlUrl: env.mysqlUrl,
            source: floorPrefix,
            table: `${floorPrefix}_tenants`,
            namespace,
            concurrency: inFlight,
          });
          const figures = await benchE2eFloor(kube, {
            config,
            firstId: 1,
            count: env.tenants,
            ownerPrefix: `${floorPrefix}_floor`,
            namespace,
          });
          floors[inFlight === env.concurrency ? 'single' : 'double'] = figures;
          say(
            `floor: raw server-side apply, ${inFlight} in flight: ${figures.objects} objects in ${figures.seconds} s ` +
              `(${figures.objectsPerSec} objects/s)`,
          );
        },
        (failure) => {
          floors[inFlight === env.concurrency ? 'single' : 'double'] = failure;
        },
      );
    }
    for (const replicas of [1, 2] as const) {
      await phases
        .run(
          `${replicas} replica(s)`,
          async () => {
            const phase = await runScaleOutPhase({
              replicas,
              tenants: env.tenants,
              concurrency: env.concurrency,
              partitions: env.partitions,
              kafka,
              kube,
              kafkaBrokers: env.kafkaBrokers,
              kubeconfig: env.kubeconfig,
              mysqlUrl: env.mysqlUrl,
              say,
            });
            namespaces.push(phase.namespace);
            bulks[replicas] = phase.bulk;
            say(
              `${replicas} replica(s): first COMMIT → last object in place: ${phase.bulk.seconds} s ` +
                `(${phase.bulk.objectsPerSec} objects/s); CPU ${cpuLine(phase.bulk.cpu)}`,
            );
          },
          (failure) => {
            bulks[replicas] = failure;
          },
        )
        .catch(() => undefined);
    }
  } catch {
    // Reported above; the JSON line below still says what ran.
  } finally {
    unregister();
    await cleanUp();
    kube.close();
  }

  const rate = (figures: BulkFigures | FloorFigures | { error: string }) =>
    'objectsPerSec' in figures ? figures.objectsPerSec : null;
  const one = rate(bulks['1']);
  const two = rate(bulks['2']);
  const floorRate = rate(floors.single);
  const doubleFloorRate = rate(floors.double);
  const ratio = one !== null && two !== null ? round2(two / one) : null;
  const share = (value: number | null, of: number | null) =>
    value !== null && of !== null ? round2(value / of) : null;
  const oneOfFloor = share(one, floorRate);
  const twoOfFloor = share(two, doubleFloorRate);
  const apiserverBound = oneOfFloor !== null && oneOfFloor >= APISERVER_BOUND_SHARE;
  // CPU of the bench, the replicas, kube-apiserver and etcd (Kafka and MariaDB are not counted), in % of all cores.
  const busy = (figures: BulkFigures | { error: string }) => {
    if (!('cpu' in figures)) return null;
    const { processPct, serversPct = {}, childrenPct = {} } = figures.cpu;
    const sum = [processPct, ...Object.values(serversPct), ...Object.values(childrenPct)].reduce(
      (a, b) => a + b,
      0,
    );
    return round2(sum / (100 * cpus().length));
  };
  const cpuBusy = { oneReplica: busy(bulks['1']), twoReplicas: busy(bulks['2']) };
  const cpuBound = Object.values(cpuBusy).some((share) => share !== null && share >= CPU_BOUND_SHARE);
  say(
    `2 replicas ÷ 1 replica = ${ratio ?? 'n/a'}; 1 replica is ${oneOfFloor ?? 'n/a'} of the floor at ` +
      `${env.concurrency} in flight, 2 replicas ${twoOfFloor ?? 'n/a'} of the floor at ${2 * env.concurrency}; ` +
      `the floor itself gains ${share(doubleFloorRate, floorRate) ?? 'n/a'}× from twice the requests in flight` +
      (apiserverBound
        ? ` — one replica already reaches ${Math.round((oneOfFloor as number) * 100)}% of what the apiserver takes ` +
          'on this machine: the apiserver is the limit, not rowkube'
        : '') +
      (cpuBound
        ? `; the measured processes alone keep ${Math.round(Math.max(...Object.values(cpuBusy).map((v) => v ?? 0)) * 100)}% ` +
          `of the ${cpus().length} cores busy (Kafka and MariaDB not counted): the machine's CPU is the limit, ` +
          'and a second replica competes with the apiserver for it'
        : ''),
  );
  say(
    JSON.stringify({
      bench: 'scale-out',
      database: 'mariadb',
      tenants: env.tenants,
      objects: env.tenants * 3,
      partitions: env.partitions,
      concurrency: env.concurrency,
      floor: floors.single,
      floorDoubleInFlight: floors.double,
      oneReplica: bulks['1'],
      twoReplicas: bulks['2'],
      ratio,
      ofFloor: { oneReplica: oneOfFloor, twoReplicasOfDoubleFloor: twoOfFloor },
      apiserverBound,
      cpuBusy,
      cpuBound,
      leftoverNamespacesAtStart: leftovers.length,
      machine: machineInfo(loadBefore),
    }),
  );
  return phases.failed ? 1 : 0;
}

runBench('bench:scale-out', scaleOutBenchEnv, main);
