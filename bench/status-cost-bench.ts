// `[BENCH_DATABASES=mariadb] npm run bench:status-cost [-- --tenants N] [--concurrency N]`:
// what the node status topic (`<prefix>.status`, sink.status) costs the
// bulk, in one run. The e2e bench's bulk (N tenants, default 10,000, 3
// objects each, committed in a few large transactions through `rowkube run`)
// is run four times, each with its own table, topics and namespace: status
// on, off, off, on, so that a trend over the run (etcd filling up, the
// machine's other load) weighs on both alike. Next to them, the raw apply
// floor of the same objects, measured first in the same run.
//
// The figure: the mean bulk seconds with status on over the mean with it off
// (aim: at most 1.10, issue 15), and each mode's bulk/floor ratio. One JSON
// line at the end. The namespaces go at the end, together, so that no phase
// runs while the namespace controller deletes another's objects.

import { loadavg } from 'node:os';
import { ALL_STAGES } from '../src/app/pipeline-stages.js';
import { startPipeline } from '../src/app/start-pipeline.js';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import type { DatabaseKind } from '../support/admin-database.js';
import { AuditFollower } from '../support/audit-follower.js';
import { deleteTopicsWithPrefix } from '../support/kafka-cleanup.js';
import { uniqueName } from '../support/stack-env.js';
import { e2eConfig, OBJECTS_PER_TENANT } from './support/bench-config.js';
import { type E2eBenchEnv, e2eBenchEnv } from './support/bench-env.js';
import { benchLogger, runBench, say } from './support/bench-main.js';
import { type BulkFigures, runBulk } from './support/e2e-bulk.js';
import { openE2eDatabase } from './support/e2e-database.js';
import { benchE2eFloor } from './support/e2e-floor.js';
import { onInterrupt } from './support/interrupt.js';
import { stopPipeline } from './support/pipeline-stop.js';
import { machineInfo, round2 } from './support/report.js';
import { createNamespaces, deleteNamespaces } from './support/sink-namespaces.js';

const logger = benchLogger();
/** No audit event for this long means the pipeline is stuck, not slow. */
const STALL_MS = 60_000;
/** The modes in the order they run: a trend over the run weighs on both alike. */
const ORDER: readonly boolean[] = [true, false, false, true];
const AIM = { statusOnOverOff: 1.1 };

async function main(env: E2eBenchEnv): Promise<number> {
  const kind: DatabaseKind = env.databases[0] ?? 'mariadb';
  const loadBefore = loadavg()[0] ?? 0;
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  const namespaces: string[] = [];
  const cleanUp = async () => {
    await deleteNamespaces(kube, namespaces);
  };
  const unregister = onInterrupt(cleanUp);
  say(
    `status-cost bench on ${kind}: ${env.tenants} tenants × ${OBJECTS_PER_TENANT} objects, bulk with ` +
      `sink.status ${ORDER.map((on) => (on ? 'on' : 'off')).join(', ')}; load average ${loadBefore.toFixed(2)}`,
  );
  try {
    const floorRun = uniqueName('rksc');
    const floorNamespace = `${floorRun.replaceAll('_', '-')}-floor`;
    namespaces.push(floorNamespace);
    await createNamespaces(kube, [floorNamespace]);
    const floor = await benchE2eFloor(kube, {
      config: configFor(env, kind, floorRun, floorNamespace, true),
      firstId: 1,
      count: env.tenants,
      ownerPrefix: `${floorRun}_floor`,
      namespace: floorNamespace,
    });
    say(`floor: ${floor.objects} objects in ${floor.seconds} s (${floor.objectsPerSec}/s)`);

    const runs: { status: boolean; bulk: BulkFigures }[] = [];
    for (const status of ORDER) {
      const bulk = await bulkOnce(env, kind, status, kube, kafka, namespaces);
      runs.push({ status, bulk });
      say(
        `bulk, status ${status ? 'on' : 'off'}: ${bulk.seconds} s (${bulk.objectsPerSec} objects/s, ` +
          `${round2(bulk.seconds / floor.seconds)}× the floor)`,
      );
    }
    const mean = (status: boolean) => {
      const seconds = runs.filter((r) => r.status === status).map((r) => r.bulk.seconds);
      return seconds.reduce((a, b) => a + b, 0) / seconds.length;
    };
    const on = mean(true);
    const off = mean(false);
    say(
      JSON.stringify({
        bench: 'status-cost',
        database: kind,
        tenants: env.tenants,
        objects: env.tenants * OBJECTS_PER_TENANT,
        concurrency: env.concurrency,
        floorSeconds: floor.seconds,
        runs: runs.map((r) => ({
          status: r.status,
          seconds: r.bulk.seconds,
          objectsPerSec: r.bulk.objectsPerSec,
        })),
        statusOn: { meanSeconds: round2(on), bulkOfFloor: round2(on / floor.seconds) },
        statusOff: { meanSeconds: round2(off), bulkOfFloor: round2(off / floor.seconds) },
        statusOnOverOff: round2(on / off),
        aim: AIM,
        machine: machineInfo(loadBefore),
      }),
    );
    return 0;
  } finally {
    unregister();
    await cleanUp();
    kube.close();
  }
}

/** One bulk through a fresh `rowkube run` (table, topics, namespace of its own), after a warm-up tenant. */
async function bulkOnce(
  env: E2eBenchEnv,
  kind: DatabaseKind,
  status: boolean,
  kube: KubeClient,
  kafka: ReturnType<typeof createKafka>,
  namespaces: string[],
): Promise<BulkFigures> {
  const prefix = uniqueName('rksc');
  const namespace = `${prefix.replaceAll('_', '-')}-e2e`;
  namespaces.push(namespace);
  await createNamespaces(kube, [namespace]);
  const config = configFor(env, kind, prefix, namespace, status);
  const database = await openE2eDatabase(`${prefix}_tenants`, kind, prefix);
  await database.setUp();
  const audit = new AuditFollower(kafka, prefix);
  const pipeline = startPipeline(config, { stages: ALL_STAGES, logger, metrics: false });
  try {
    await audit.follow({ waitForTopicMs: STALL_MS, abandon: pipeline.failed });
    // The warm-up tenant keeps start-up out of the bulk's figure, as in bench:e2e.
    await database.insertTenants(0, 1, 1);
    await audit.waitFor('the warm-up tenant', () => audit.objectsInPlace >= OBJECTS_PER_TENANT, {
      stallMs: STALL_MS,
      abandon: pipeline.failed,
    });
    return await runBulk({
      database,
      audit,
      tenants: env.tenants,
      objectsBefore: OBJECTS_PER_TENANT,
      stallMs: STALL_MS,
      pipelineFailed: pipeline.failed,
      say,
    });
  } finally {
    await stopPipeline(pipeline, { kafka, prefix, logger });
    await audit.close().catch(() => undefined);
    await deleteTopicsWithPrefix(kafka, prefix);
    await database.cleanUp().catch(() => undefined);
  }
}

function configFor(env: E2eBenchEnv, kind: DatabaseKind, prefix: string, namespace: string, status: boolean) {
  return e2eConfig({
    prefix,
    kafkaBrokers: env.kafkaBrokers,
    kubeconfig: env.kubeconfig,
    mysqlUrl: kind === 'postgres' ? env.urls.PG_URL : env.mysqlUrl,
    kind,
    source: prefix,
    table: `${prefix}_tenants`,
    namespace,
    concurrency: env.concurrency,
    status,
  });
}

runBench(
  'bench:status-cost',
  () => e2eBenchEnv(process.argv.slice(2), { BENCH_DATABASES: 'mariadb', ...process.env }),
  main,
);
