// `[BENCH_DATABASES=mariadb,postgres] npm run bench:e2e [-- --tenants N] [--seconds N] [--rate N] [--concurrency N]`:
// the whole pipeline, row to cluster, as `rowkube run` runs it (capture,
// process and apply in this process) against the local stack's MariaDB and
// PostgreSQL (one after the other, each with its own table, topics and
// namespaces), Kafka and kube-apiserver, which it does not start:
//
// - bulk: N tenants (default 10,000) inserted in a few large transactions,
//   3 objects each; first COMMIT → the last object in place, next to the
//   floor measured in the same run: plain server-side apply of the same
//   objects with the same number of requests in flight.
// - latency: a steady rate of tenant updates (default 50/s for 60 s), each
//   changing one ConfigMap; per update, the writer's clock before the UPDATE
//   → the watch event of that ConfigMap with the new value (the headline,
//   support/e2e-watch.ts), and → the sink's audit event for it (its
//   appliedAtMs, taken when the apiserver answered the apply) with the split
//   per stage (support/e2e-stages.ts).
//
// Human-readable lines as it goes, a JSON line per database, then one JSON
// line with every figure on stdout. The machine is small and shared: read
// each figure next to its run's floor and load average.

import { cpus, loadavg } from 'node:os';
import { ALL_STAGES } from '../src/app/pipeline-stages.js';
import { type Pipeline, startPipeline } from '../src/app/start-pipeline.js';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import type { DatabaseKind } from '../support/admin-database.js';
import { AuditFollower } from '../support/audit-follower.js';
import { deleteTopicsWithPrefix } from '../support/kafka-cleanup.js';
import { uniqueName } from '../support/stack-env.js';
import { e2eConfig, OBJECTS_PER_TENANT } from './support/bench-config.js';
import { type E2eBenchEnv, e2eBenchEnv } from './support/bench-env.js';
import { benchLogger, notRun, Phases, runBench, say } from './support/bench-main.js';
import { withCpuProfile } from './support/cpu-profile.js';
import { BULK_TX_TENANTS, type BulkFigures, runBulk } from './support/e2e-bulk.js';
import { type E2eDatabase, openE2eDatabase } from './support/e2e-database.js';
import { benchE2eFloor } from './support/e2e-floor.js';
import { runSteady, type SteadyFigures } from './support/e2e-steady.js';
import { RevisionWatch } from './support/e2e-watch.js';
import { once, onInterrupt } from './support/interrupt.js';
import { stopPipeline } from './support/pipeline-stop.js';
import { describe, machineInfo, round2 } from './support/report.js';
import { cpuLine } from './support/sink-cpu.js';
import type { FloorFigures } from './support/sink-floor.js';
import { createNamespaces, deleteNamespaces, leftoverNamespaces } from './support/sink-namespaces.js';
import { checkOwnedObjects } from './support/sink-verify.js';

const logger = benchLogger();

/** The warm-up tenant, provisioned before the bulk so that start-up stays out of both figures. */
const WARM_UP_TENANT = 0;
/** No audit event for this long means the pipeline is stuck, not slow. */
const STALL_MS = 60_000;
/** The sink creates the audit topic when it starts; this is how long that may take. */
const TOPIC_WAIT_MS = 60_000;
/** The aims of issues 6 and 14, printed next to the figures (p99: outside of bulk work, 20 updates/s). */
const AIM = { latencyP50Ms: 100, latencyP99Ms: 100, bulkRatio: 1.5 };

interface WarmUpFigures {
  /** Pipeline started → the warm-up tenant's objects all in place: capture, processor and sink start-up. */
  startupSeconds: number;
  /** The warm-up tenant's COMMIT → its last object in place, with every stage cold. */
  firstTenantMs: number;
}

async function main(env: E2eBenchEnv): Promise<number> {
  const loadBefore = loadavg()[0] ?? 0;
  const results: Record<string, Record<string, unknown>> = {};
  let failed = false;
  for (const kind of env.databases) {
    const run = await runOn(env, kind);
    results[kind] = run.result;
    failed ||= run.failed;
  }
  say(
    JSON.stringify({
      bench: 'e2e',
      databases: env.databases,
      ...results,
      machine: machineInfo(loadBefore),
    }),
  );
  return failed ? 1 : 0;
}

/** One database: its own table, topics, namespaces and pipeline; the figures and whether a phase failed. */
async function runOn(
  env: E2eBenchEnv,
  kind: DatabaseKind,
): Promise<{ result: Record<string, unknown>; failed: boolean }> {
  const objects = env.tenants * OBJECTS_PER_TENANT;
  const loadBefore = loadavg()[0] ?? 0;
  say(
    `e2e bench: rowkube run on ${kind}; bulk of ${env.tenants} tenants × ${OBJECTS_PER_TENANT} objects = ${objects} ` +
      `objects, then ${env.rate} updates/s for ${env.seconds} s; ${env.concurrency} requests in flight; ` +
      `${cpus().length} CPUs, load average ${loadBefore.toFixed(2)} (other work on this machine skews every figure)`,
  );

  // One name for the run: topic prefix, table, source, and (DNS-safe) the namespaces.
  const prefix = uniqueName('rke2e');
  const run = prefix.replaceAll('_', '-');
  const namespace = `${run}-e2e`;
  const floorNamespace = `${run}-floor`;
  const table = `${prefix}_tenants`;
  const config = e2eConfig({
    prefix,
    kafkaBrokers: env.kafkaBrokers,
    kubeconfig: env.kubeconfig,
    mysqlUrl: kind === 'postgres' ? env.urls.PG_URL : env.mysqlUrl,
    kind,
    source: prefix,
    table,
    namespace,
    concurrency: env.concurrency,
  });
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const leftovers = await leftoverNamespaces(kube);
  if (leftovers.length > 0)
    say(
      `warning: ${leftovers.length} namespaces of earlier runs are still there (${leftovers.join(', ')}); ` +
        'while the API server deletes their objects, every figure is low. Wait until they are gone for clean figures.',
    );

  let db: E2eDatabase | undefined;
  let pipeline: Pipeline | undefined;
  let watch: RevisionWatch | undefined;
  const audit = new AuditFollower(kafka, prefix);
  const cleanUp = once(async () => {
    watch?.close();
    if (pipeline !== undefined) await stopPipeline(pipeline, { kafka, prefix, logger });
    await audit.close().catch(() => undefined);
    await deleteNamespaces(kube, [namespace, floorNamespace]);
    await deleteTopicsWithPrefix(kafka, prefix);
    await db
      ?.cleanUp()
      .catch((error: unknown) => say(`clean-up: dropping the table failed: ${describe(error)}`));
  });
  const unregister = onInterrupt(cleanUp);

  let setUp = notRun<'done'>();
  let floor = notRun<FloorFigures>();
  let warmUp = notRun<WarmUpFigures>();
  let bulk = notRun<BulkFigures>();
  let steady = notRun<SteadyFigures>();
  let inCluster = notRun<Record<string, number>>();
  const phases = new Phases(say);

  try {
    const database = await phases.run(
      'set-up',
      async () => {
        const opened = await openE2eDatabase(table, kind, prefix);
        db = opened;
        await opened.setUp();
        await createNamespaces(kube, [namespace, floorNamespace]);
        setUp = 'done';
        return opened;
      },
      (error) => {
        setUp = error;
      },
    );

    // The floor first, with nothing else running: etcd then holds its objects
    // while the pipeline's are created, as in the sink bench.
    await phases
      .run(
        'floor',
        async () => {
          const figures = await benchE2eFloor(kube, {
            config,
            firstId: 1,
            count: env.tenants,
            ownerPrefix: `${prefix}_floor`,
            namespace: floorNamespace,
          });
          floor = figures;
          say(
            `floor: raw server-side apply: ${figures.objects} objects in ${figures.seconds} s ` +
              `(${figures.objectsPerSec} objects/s); CPU ${cpuLine(figures.cpu)}`,
          );
        },
        (error) => {
          floor = error;
        },
      )
      .catch(() => undefined); // the pipeline's figures are still worth having

    const { failed: pipelineFailed } = await phases.run(
      'warm-up',
      async () => {
        const startedAtMs = Date.now();
        // `rowkube run`'s stages, without the metrics server: the bench sees them only from outside.
        const started = startPipeline(config, { stages: ALL_STAGES, logger, metrics: false });
        pipeline = started;
        const { failed: stageFailed } = started;
        await audit.follow({ waitForTopicMs: TOPIC_WAIT_MS, abandon: stageFailed });
        const committedAtMs = await database
          .insertTenants(WARM_UP_TENANT, 1, 1)
          .then((r) => r.firstCommitAtMs);
        await audit.waitFor('the warm-up tenant', () => audit.objectsInPlace >= OBJECTS_PER_TENANT, {
          stallMs: STALL_MS,
          abandon: stageFailed,
        });
        const lastAtMs = audit.lastInPlaceAtMs;
        warmUp = {
          startupSeconds: round2((lastAtMs - startedAtMs) / 1000),
          firstTenantMs: lastAtMs - committedAtMs,
        };
        say(
          `warm-up: rowkube run started → the first tenant's ${OBJECTS_PER_TENANT} objects in place in ` +
            `${warmUp.startupSeconds} s (that tenant's COMMIT → in place: ${warmUp.firstTenantMs} ms)`,
        );
        return started;
      },
      (error) => {
        warmUp = error;
      },
    );

    await phases
      .run(
        'bulk',
        async () => {
          bulk = await runBulk({
            database,
            audit,
            tenants: env.tenants,
            objectsBefore: OBJECTS_PER_TENANT,
            stallMs: STALL_MS,
            pipelineFailed,
            say,
          });
          say(
            `bulk: first COMMIT → last object in place: ${bulk.seconds} s (${bulk.objectsPerSec} objects/s); ` +
              `CPU ${cpuLine(bulk.cpu)}`,
          );
          say(`bulk: audit events by action so far: ${JSON.stringify(audit.actions)}`);
        },
        (error) => {
          bulk = error;
        },
      )
      .catch(() => undefined); // the latency phase still runs if the bulk stalled partway

    await phases
      .run(
        'latency',
        async () => {
          // Opened after the bulk: listing its objects then costs nothing during the bulk's figure.
          const opened = await RevisionWatch.open(kube, prefix);
          watch = opened;
          const figures = await withCpuProfile(env.cpuProfileDir, `e2e-${kind}-latency`, () =>
            runSteady({
              database,
              audit,
              tenants: env.tenants,
              rate: env.rate,
              seconds: env.seconds,
              pipelineFailed,
              watch: opened,
            }),
          );
          steady = figures;
          const seen = figures.commitToWatchMs;
          const latency = figures.commitToAppliedMs;
          const { stages } = figures;
          say(
            `latency: ${seen.writes} updates at ${figures.achievedRate}/s (writer at most ` +
              `${figures.writerMaxBehindMs} ms behind); writer → watch event p50 ${seen.p50} ms, p95 ${seen.p95} ms, ` +
              `p99 ${seen.p99} ms, max ${seen.max} ms, mean ${seen.mean} ms; ${seen.seen} seen, ` +
              `${seen.missing} missing; CPU ${cpuLine(figures.cpu)}`,
          );
          say(
            `latency: writer → applied (audit) p50 ${latency.p50} ms, p95 ${latency.p95} ms, p99 ${latency.p99} ms, ` +
              `max ${latency.max} ms; ${latency.missing} missing`,
          );
          say(
            `latency per stage (p50/p99 ms, ${stages.count} writes): read ${stages.readMs.p50}/${stages.readMs.p99}, ` +
              `capture ${stages.captureMs.p50}/${stages.captureMs.p99}, process ${stages.processMs.p50}/` +
              `${stages.processMs.p99}, apply ${stages.applyMs.p50}/${stages.applyMs.p99}, ` +
              `watch ${stages.watchMs.p50}/${stages.watchMs.p99}; ` +
              `event-loop delay p50 ${figures.eventLoopDelayMs.p50} ms, p99 ${figures.eventLoopDelayMs.p99} ms`,
          );
          // Missing updates are a finding next to the figures, not a lost phase.
          if (figures.error !== undefined) throw new Error(figures.error);
        },
        (error) => {
          if (!('commitToWatchMs' in steady)) steady = error;
        },
      )
      .catch(() => undefined);

    await phases.run(
      'cluster',
      async () => {
        // Every bulk tenant and the warm-up one.
        const owned = await checkOwnedObjects(kube, config, env.tenants + 1, say);
        inCluster = owned.counts;
        if (owned.short) phases.failed = true;
      },
      (error) => {
        inCluster = error;
      },
    );
  } catch {
    // Reported above; the JSON line below still says what ran.
  } finally {
    unregister();
    await cleanUp();
    kube.close();
  }

  const bulkRatio =
    'seconds' in bulk && 'seconds' in floor ? Math.round((bulk.seconds / floor.seconds) * 1000) / 1000 : null;
  const latency = 'commitToWatchMs' in steady ? steady.commitToWatchMs : undefined;
  say(
    `bulk seconds ÷ floor seconds = ${bulkRatio ?? 'n/a'} (aim ≤ ${AIM.bulkRatio}); ` +
      `writer → watch event p50 ${latency?.p50 ?? 'n/a'} ms (aim ≤ ${AIM.latencyP50Ms}), ` +
      `p99 ${latency?.p99 ?? 'n/a'} ms (aim ≤ ${AIM.latencyP99Ms})`,
  );
  const result = {
    database: kind,
    tenants: env.tenants,
    objectsPerTenant: OBJECTS_PER_TENANT,
    objects,
    concurrency: env.concurrency,
    bulkTransactionTenants: BULK_TX_TENANTS,
    setUp,
    floor,
    warmUp,
    bulk,
    bulkRatio,
    steady,
    inCluster,
    aim: AIM,
    leftoverNamespacesAtStart: leftovers.length,
    machine: machineInfo(loadBefore),
  };
  say(JSON.stringify({ bench: 'e2e', ...result }));
  return { result, failed: phases.failed };
}

runBench('bench:e2e', e2eBenchEnv, main);
