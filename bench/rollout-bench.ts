// `npm run bench:rollout` (BENCH_TENANTS, default 10,000; BENCH_CONCURRENCY,
// default 16; BENCH_MAX_IN_PROGRESS, default 100; BENCH_SKIP=floor,limited):
// how long a form change takes to reach every tenant. Against the local
// stack's MariaDB, Kafka and kube-apiserver (with its controller manager and
// kwok, which roll Deployments out), which it does not start. In one run:
//
// - floor: plain server-side apply of the same change — N Deployments of the
//   form created with image A in a namespace of their own (not timed), then
//   the same N with image B applied (timed), `concurrency` requests in flight
//   (support/e2e-floor.ts). They are paused, so that the controller manager
//   (its API budget on the stack) does not spend the pipeline's phases rolling
//   them out;
// - seed: one `rowkube run` process (a child, support/single-run.ts) with the
//   form at image A, N tenants committed, until every Deployment is rolled out;
// - noLimit: the process stopped and started again with the form at image B:
//   the clock runs from the spawn until a watch shows every Deployment with
//   image B (the process's start-up included: a form change reaches the
//   cluster through a restart). Also until every one is rolled out;
// - maxInProgress<N>: the same with image C and `forms[].rollout:
//   { maxInProgress: N }`, so that at most N nodes are changed and not yet
//   Ready at once.
//
// `peakInProgress` is the most Deployments seen at once with the new image and
// not yet rolled out, from the same watch. Progress lines as it goes, then one
// JSON line with every figure on stdout. Everything it makes (table, topics,
// groups, namespaces) is removed at the end and on Ctrl-C.

import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient, type KubeObject } from '../src/sink/kube/index.js';
import { configFrom } from '../support/config-file.js';
import { e2eConfigDocument } from './support/bench-config.js';
import { type RolloutBenchEnv, rolloutBenchEnv } from './support/bench-env.js';
import { notRun, Phases, runBench, say } from './support/bench-main.js';
import { BULK_TX_TENANTS } from './support/e2e-bulk.js';
import { benchE2eFloor } from './support/e2e-floor.js';
import { once, onInterrupt } from './support/interrupt.js';
import { machineInfo, round2 } from './support/report.js';
import {
  imageOf,
  observed,
  ROLLOUT_FORM,
  ROLLOUT_SELECTOR,
  type RolloutSettings,
  rolledOut,
  rolloutForms,
} from './support/rollout-form.js';
import { exitAsFailure, SingleRun } from './support/single-run.js';
import type { FloorFigures } from './support/sink-floor.js';
import { createNamespaces, deleteNamespaces, leftoverNamespaces } from './support/sink-namespaces.js';
import { WatchedKind } from './support/watched-kind.js';

/** The form's image before the change, after it, and after the limited mode's change. */
const IMAGES = { seed: 'nginx:1.27', noLimit: 'nginx:1.28', limited: 'nginx:1.29' } as const;

interface RolloutFigures {
  tenants: number;
  /** Spawn of the process with the changed form → a watch shows every Deployment with the new image. */
  seconds: number;
  objectsPerSec: number;
  /** Spawn → /readyz of the restarted process (within `seconds`). */
  readySeconds: number;
  /** Spawn → every Deployment rolled out (updated, available). */
  rolledOutSeconds: number;
  /** The most Deployments seen at once with the new image and not yet rolled out. */
  peakInProgress: number;
  rollout: RolloutSettings | null;
}

async function main(env: RolloutBenchEnv): Promise<number> {
  const loadBefore = loadavg()[0] ?? 0;
  const limitedKey = `maxInProgress${env.maxInProgress}`;
  say(
    `rollout bench: a form change (the image) rolled out to ${env.tenants} tenants' Deployments ` +
      `(${env.replicas} pods each) through ` +
      `rowkube run, with no limit and with maxInProgress ${env.maxInProgress}; ${env.concurrency} requests ` +
      `in flight; load average ${loadBefore.toFixed(2)}`,
  );
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const leftovers = await leftoverNamespaces(kube);
  if (leftovers.length > 0)
    say(
      `warning: ${leftovers.length} namespaces of earlier runs are still there; figures read low until they are gone`,
    );
  const run = new SingleRun({
    name: 'rkroll',
    kafka,
    kube,
    kafkaBrokers: env.kafkaBrokers,
    kubeconfig: env.kubeconfig,
    mysqlUrl: env.mysqlUrl,
    concurrency: env.concurrency,
  });
  const floorNamespace = `${run.namespace}-floor`;
  const cleanUp = once(async () => {
    await run.cleanUp();
    await deleteNamespaces(kube, [floorNamespace]);
  });
  const unregister = onInterrupt(cleanUp);
  // Generous: a stuck rollout fails the phase, a slow one does not (the stack's
  // controller manager rolls out 2.6–5 Deployments a second, README).
  const timeoutMs = Math.max(600_000, env.tenants * 1_000);
  const phases = new Phases(say);
  let floor = notRun<FloorFigures>();
  let seed = notRun<{ seconds: number }>();
  let noLimit = notRun<RolloutFigures>();
  let limited = notRun<RolloutFigures>();
  let deployments: WatchedKind | undefined;
  try {
    const database = await run.setUp();
    const watched = await WatchedKind.open(kube, 'apps/v1', 'Deployment', ROLLOUT_SELECTOR);
    deployments = watched;
    const everyOne = (namespace: string, holds: (object: KubeObject) => boolean) => ({
      count: env.tenants,
      matches: (object: KubeObject) => object.metadata.namespace === namespace && holds(object),
    });
    const inRun = (holds: (object: KubeObject) => boolean) => everyOne(run.namespace, holds);

    await phases.run(
      'floor',
      async () => {
        if (env.skip.has('floor')) {
          floor = { skipped: true } as unknown as FloorFigures;
          return;
        }
        await createNamespaces(kube, [floorNamespace]);
        const floorRun = (image: string) =>
          benchE2eFloor(kube, {
            config: configFrom({
              ...e2eConfigDocument({
                prefix: run.prefix,
                kafkaBrokers: env.kafkaBrokers,
                kubeconfig: env.kubeconfig,
                mysqlUrl: env.mysqlUrl,
                source: run.prefix,
                table: run.table,
                namespace: floorNamespace,
                concurrency: env.concurrency,
              }),
              forms: rolloutForms(floorNamespace, image, { replicas: env.replicas, paused: true }),
            }),
            firstId: 1,
            count: env.tenants,
            ownerPrefix: `${run.prefix}_floor`,
            namespace: floorNamespace,
            form: ROLLOUT_FORM,
          });
        await floorRun(IMAGES.seed);
        floor = await floorRun(IMAGES.noLimit);
        say(
          `floor: raw server-side apply of the change to ${floor.objects} Deployments in ${floor.seconds} s ` +
            `(${floor.objectsPerSec}/s)`,
        );
      },
      (failure) => {
        floor = failure;
      },
    );
    await phases.run(
      'seed',
      async () => {
        const ready = await run.start(0, {
          forms: rolloutForms(run.namespace, IMAGES.seed, { replicas: env.replicas }),
        });
        say(`rowkube run ready after ${round2(ready)} s; committing ${env.tenants} tenants`);
        const seeded = watched.until(
          `every tenant's Deployment rolled out with ${IMAGES.seed}`,
          inRun((o) => rolledOut(o, IMAGES.seed)),
          timeoutMs,
        );
        const t0 = performance.now();
        await database.insertTenants(1, env.tenants, BULK_TX_TENANTS);
        const done = await Promise.race([seeded, exitAsFailure(run.replica.process)]);
        seed = { seconds: round2((done - t0) / 1000) };
        say(`seed: ${env.tenants} Deployments rolled out ${seed.seconds} s after the first INSERT`);
        // The controller manager's record of the floor's objects, done before anything is timed again.
        if (!env.skip.has('floor'))
          await watched.until(
            "the floor's Deployments seen by the controller manager",
            everyOne(floorNamespace, (o) => observed(o, IMAGES.noLimit)),
            timeoutMs,
          );
      },
      (failure) => {
        seed = failure;
      },
    );

    /** Restarts the process with the form at `image`, timed from the spawn. */
    const rollOut = async (image: string, rollout?: RolloutSettings): Promise<RolloutFigures> => {
      await run.stop();
      const peak = peakInProgress(watched, run.namespace, image);
      const visible = watched.until(
        `every tenant's Deployment with ${image}`,
        inRun((o) => imageOf(o) === image),
        timeoutMs,
      );
      const finished = watched.until(
        `every tenant's Deployment rolled out with ${image}`,
        inRun((o) => rolledOut(o, image)),
        timeoutMs,
      );
      // Awaited after `visible`: a failure meanwhile must not go unhandled.
      finished.catch(() => undefined);
      const t0 = performance.now();
      try {
        const readySeconds = await run.start(0, {
          forms: rolloutForms(run.namespace, image, {
            replicas: env.replicas,
            ...(rollout === undefined ? {} : { rollout }),
          }),
        });
        const exited = exitAsFailure(run.replica.process);
        const seen = await Promise.race([visible, exited]);
        const done = await Promise.race([finished, exited]);
        const seconds = (seen - t0) / 1000;
        return {
          tenants: env.tenants,
          seconds: round2(seconds),
          objectsPerSec: Math.round(env.tenants / seconds),
          readySeconds: round2(readySeconds),
          rolledOutSeconds: round2((done - t0) / 1000),
          peakInProgress: peak.value(),
          rollout: rollout ?? null,
        };
      } finally {
        peak.stop();
      }
    };
    await phases.run(
      'noLimit',
      async () => {
        noLimit = await rollOut(IMAGES.noLimit);
        say(`noLimit: ${JSON.stringify(noLimit)}`);
      },
      (failure) => {
        noLimit = failure;
      },
    );
    await phases.run(
      limitedKey,
      async () => {
        if (env.skip.has('limited')) {
          limited = { skipped: true } as unknown as RolloutFigures;
          return;
        }
        limited = await rollOut(IMAGES.limited, { maxInProgress: env.maxInProgress });
        say(`${limitedKey}: ${JSON.stringify(limited)}`);
      },
      (failure) => {
        limited = failure;
      },
    );
  } catch {
    say(run.describe());
  } finally {
    unregister();
    deployments?.close();
    await cleanUp();
    kube.close();
  }
  const ratio = (figures: RolloutFigures | object) =>
    'seconds' in figures && 'seconds' in floor && typeof figures.seconds === 'number'
      ? round2(figures.seconds / floor.seconds)
      : null;
  say(
    JSON.stringify({
      bench: 'rollout',
      database: 'mariadb',
      tenants: env.tenants,
      replicas: env.replicas,
      concurrency: env.concurrency,
      floor,
      seed,
      noLimit,
      ratio: ratio(noLimit),
      [limitedKey]: limited,
      [`${limitedKey}Ratio`]: ratio(limited),
      leftoverNamespacesAtStart: leftovers.length,
      machine: machineInfo(loadBefore),
    }),
  );
  return phases.failed ? 1 : 0;
}

/**
 * Follows the run's Deployments: how many at most had `image` and were not
 * rolled out yet at once (changed, not Ready), from the watch's events.
 */
function peakInProgress(
  watched: WatchedKind,
  namespace: string,
  image: string,
): { value(): number; stop(): void } {
  const inProgress = new Set<string>();
  let peak = 0;
  const stop = watched.store.subscribe((change) => {
    const { object } = change;
    if (object.metadata.namespace !== namespace) return;
    const key = object.metadata.name ?? '';
    if (change.type !== 'deleted' && imageOf(object) === image && !rolledOut(object, image)) {
      inProgress.add(key);
      peak = Math.max(peak, inProgress.size);
    } else inProgress.delete(key);
  });
  return { value: () => peak, stop };
}

runBench('bench:rollout', rolloutBenchEnv, main);
