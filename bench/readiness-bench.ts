// `npm run bench:readiness [-- --tenants N] [--concurrency N] [--edits N]`:
// the readiness-gated bulk next to the cluster's own floor, and how fast a
// manual edit is undone. N tenants (default 1,000) of a Lynq-shaped form —
// Namespace → ConfigMap → Deployment (waitForReady) → Ingress — go through
// the sink until every Ingress exists; the floor is the same N Deployments
// created directly, until all are Available. Then `--edits` tenants'
// ConfigMaps are edited by another field manager, one at a time, and the time
// until the watch shows each set back is taken. Human-readable lines as it
// goes, then one JSON line on stdout.
//
// The sink runs in this process against the local stack, which it does not
// start; the controller manager and kwok make the Deployments Available.

import { cpus, loadavg } from 'node:os';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import { deleteTopicsWithPrefix } from '../support/kafka-cleanup.js';
import { uniqueName } from '../support/stack-env.js';
import { type ReadinessBenchEnv, readinessBenchEnv } from './support/bench-env.js';
import { benchLogger, notRun, Phases, runBench, say } from './support/bench-main.js';
import { once, onInterrupt } from './support/interrupt.js';
import { OBJECTS_PER_TENANT, readinessConfig, renderReadinessNodes } from './support/readiness-config.js';
import {
  benchReadyFloor,
  benchReadySink,
  benchUndo,
  type FloorReadyFigures,
  type SinkReadyFigures,
  type UndoFigures,
} from './support/readiness-phases.js';
import { machineInfo } from './support/report.js';
import { type InputFigures, writeDesiredBacklog } from './support/sink-input.js';
import { createNamespaces, deleteNamespaces, leftoverNamespaces } from './support/sink-namespaces.js';

const logger = benchLogger();
/** No phase of a healthy run comes near this. */
const PHASE_TIMEOUT_MS = 30 * 60_000;

async function main(env: ReadinessBenchEnv): Promise<number> {
  const loadBefore = loadavg()[0] ?? 0;
  say(
    `readiness bench: ${env.tenants} tenants × ${OBJECTS_PER_TENANT} objects (Namespace → ConfigMap → Deployment ` +
      `waitForReady → Ingress), ${env.concurrency} requests in flight, ${env.edits} edits; ${cpus().length} CPUs, ` +
      `load average ${loadBefore.toFixed(2)}`,
  );
  const prefix = uniqueName('rkready');
  const run = prefix.replaceAll('_', '-');
  const floorNamespace = `${run}-floor`;
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  const benchKube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const sinkKube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const config = readinessConfig({
    prefix,
    kafkaBrokers: env.kafkaBrokers,
    kubeconfig: env.kubeconfig,
    namespacePrefix: run,
    concurrency: env.concurrency,
  });
  const nodes = renderReadinessNodes(config, env.tenants, Date.now());
  const tenantNamespaces = nodes.map(({ update }) => `${run}-${update.id.split('/')[1]}`);
  const leftovers = await leftoverNamespaces(benchKube);
  if (leftovers.length > 0)
    say(`warning: ${leftovers.length} namespaces of earlier runs are still there; both figures may be low.`);
  const cleanUp = once(async () => {
    await deleteNamespaces(benchKube, [floorNamespace, ...tenantNamespaces]);
    await deleteTopicsWithPrefix(kafka, prefix);
  });
  const unregister = onInterrupt(cleanUp);

  let input = notRun<InputFigures>();
  let floor = notRun<FloorReadyFigures>();
  let sink = notRun<SinkReadyFigures>();
  let undo = notRun<UndoFigures>();
  const phases = new Phases(say);
  try {
    await phases.run(
      'input',
      async () => {
        input = await writeDesiredBacklog(kafka, config, nodes);
        await createNamespaces(benchKube, [floorNamespace]);
        say(`input: ${env.tenants} desired records written to ${prefix}.desired`);
      },
      (failure) => {
        input = failure;
      },
    );
    await phases
      .run(
        'floor',
        async () => {
          floor = await benchReadyFloor(benchKube, {
            namespace: floorNamespace,
            count: env.tenants,
            concurrency: env.concurrency,
            run,
            timeoutMs: PHASE_TIMEOUT_MS,
          });
          say(
            `floor: ${env.tenants} Deployments created directly in ${floor.createdSeconds} s, all Available after ${floor.availableSeconds} s`,
          );
        },
        (failure) => {
          floor = failure;
        },
      )
      .catch(() => undefined);
    await phases.run(
      'sink',
      async () => {
        const result = await benchReadySink({
          config,
          kafka,
          kube: sinkKube,
          logger,
          tenants: env.tenants,
          timeoutMs: PHASE_TIMEOUT_MS,
          during: () =>
            phases.run(
              'undo',
              () =>
                benchUndo(benchKube, {
                  prefix,
                  namespaces: tenantNamespaces.slice(0, env.edits),
                  timeoutMs: 60_000,
                }),
              (failure) => {
                undo = failure;
              },
            ),
        });
        sink = result.sink;
        undo = result.during;
        say(
          `sink: every Deployment Available after ${sink.deploymentsAvailableSeconds} s, every Ingress after ${sink.ingressesSeconds} s`,
        );
        say(`undo: ${undo.edits} edits set back: p50 ${undo.undoMs.p50} ms, max ${undo.undoMs.max} ms`);
      },
      (failure) => {
        sink = failure;
      },
    );
  } catch {
    // Reported above; the JSON line below still says what ran.
  } finally {
    unregister();
    await cleanUp();
    benchKube.close();
    sinkKube.close();
  }
  const ratio =
    'ingressesSeconds' in sink && 'availableSeconds' in floor
      ? Math.round((sink.ingressesSeconds / floor.availableSeconds) * 1000) / 1000
      : null;
  say(`sink (every Ingress) ÷ floor (every Deployment Available) = ${ratio ?? 'n/a'}`);
  say(
    JSON.stringify({
      bench: 'readiness',
      tenants: env.tenants,
      objectsPerTenant: OBJECTS_PER_TENANT,
      concurrency: env.concurrency,
      input,
      floor,
      sink,
      ratio,
      undo,
      leftoverNamespacesAtStart: leftovers.length,
      machine: machineInfo(loadBefore),
    }),
  );
  return phases.failed ? 1 : 0;
}

runBench('bench:readiness', readinessBenchEnv, main);
