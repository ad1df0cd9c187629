// `npm run bench:apply [-- --nodes N] [--concurrency N]`: Kubernetes objects
// per second that the sink applies for N nodes (default 10,000) of 3 objects
// each, against a floor measured in the same run on the same API server:
// plain server-side apply of the same objects with the same number of
// requests in flight. Human-readable lines as it goes, then one JSON line
// with every figure on stdout.
//
// The sink runs in this process (runSink, wired as `rowkube apply` wires it)
// against the local stack, which it does not start. The machine is small and
// shared: compare the sink's figure with the floor of the same run, not with
// another run's.

import { cpus, loadavg } from 'node:os';
import { createKafka } from '../src/kafka/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import { deleteTopicsWithPrefix } from '../support/kafka-cleanup.js';
import { uniqueName } from '../support/stack-env.js';
import { OBJECTS_PER_NODE, sinkBenchConfig } from './support/bench-config.js';
import { type SinkBenchEnv, sinkBenchEnv } from './support/bench-env.js';
import { benchLogger, notRun, Phases, runBench, say } from './support/bench-main.js';
import { once, onInterrupt } from './support/interrupt.js';
import { machineInfo } from './support/report.js';
import { cpuLine } from './support/sink-cpu.js';
import { benchApplyFloor, type FloorFigures, floorObjects } from './support/sink-floor.js';
import { type InputFigures, writeDesiredBacklog } from './support/sink-input.js';
import { createNamespaces, deleteNamespaces, leftoverNamespaces } from './support/sink-namespaces.js';
import { renderBenchNodes } from './support/sink-nodes.js';
import { benchSinkRun, type SinkRunFigures } from './support/sink-run.js';
import { checkOwnedObjects } from './support/sink-verify.js';

const logger = benchLogger();

async function main(env: SinkBenchEnv): Promise<number> {
  const objects = env.nodes * OBJECTS_PER_NODE;
  const loadBefore = loadavg()[0] ?? 0;
  say(
    `sink bench: ${env.nodes} nodes × ${OBJECTS_PER_NODE} objects = ${objects} objects, ${env.concurrency} requests ` +
      `in flight; ${cpus().length} CPUs, load average ${loadBefore.toFixed(2)} (other work on this machine skews every figure)`,
  );

  // One name for the run: topic prefix, and (DNS-safe) the namespaces.
  const prefix = uniqueName('rkbench');
  const run = prefix.replaceAll('_', '-');
  const floorNamespace = `${run}-floor`;
  const sinkNamespace = `${run}-sink`;
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-bench' });
  // One client per phase: each starts with a fresh connection pool.
  const floorKube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const sinkKube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const config = sinkBenchConfig({
    prefix,
    kafkaBrokers: env.kafkaBrokers,
    kubeconfig: env.kubeconfig,
    namespace: sinkNamespace,
    concurrency: env.concurrency,
  });
  const leftovers = await leftoverNamespaces(floorKube);
  if (leftovers.length > 0)
    say(
      `warning: ${leftovers.length} namespaces of earlier runs are still there (${leftovers.join(', ')}); ` +
        'while the API server deletes their objects, both figures are low. Wait until they are gone for clean figures.',
    );
  const cleanUp = once(async () => {
    await deleteNamespaces(floorKube, [floorNamespace, sinkNamespace]);
    await deleteTopicsWithPrefix(kafka, prefix);
  });
  const unregister = onInterrupt(cleanUp);

  let input = notRun<InputFigures>();
  let floor = notRun<FloorFigures>();
  let sink = notRun<SinkRunFigures>();
  let inCluster = notRun<Record<string, number>>();
  const phases = new Phases(say);
  try {
    const nodes = await phases.run(
      'input',
      async () => {
        const rendered = renderBenchNodes(config, env.nodes, Date.now());
        const written = await writeDesiredBacklog(kafka, config, rendered);
        input = written;
        say(
          `input: ${written.records} desired records (${written.avgValueBytes} B values) written to ` +
            `${prefix}.desired in ${written.seconds} s`,
        );
        await createNamespaces(floorKube, [floorNamespace, sinkNamespace]);
        return rendered;
      },
      (failure) => {
        input = failure;
      },
    );

    await phases
      .run(
        'floor',
        async () => {
          // The same objects under another owner prefix: the sink lists its
          // prefix's objects at start, and must not find (or prune) the floor's.
          const objectsForFloor = floorObjects(nodes, `${prefix}_floor`, floorNamespace);
          const figures = await benchApplyFloor(floorKube, objectsForFloor, {
            concurrency: env.concurrency,
            fieldManager: config.kubernetes.fieldManager,
          });
          floor = figures;
          say(
            `floor: raw server-side apply: ${figures.objectsPerSec} objects/s (${figures.objects} in ${figures.seconds} s); ` +
              `CPU ${cpuLine(figures.cpu)}`,
          );
        },
        (failure) => {
          floor = failure;
        },
      )
      .catch(() => undefined); // the sink's figures are still worth having

    await phases
      .run(
        'sink',
        async () => {
          const figures = await benchSinkRun({
            config,
            kafka,
            kube: sinkKube,
            logger,
            objects,
            cpuProfileDir: env.cpuProfileDir,
          });
          sink = figures;
          say(
            `sink: ${figures.objectsPerSec} objects/s (${figures.objects} in ${figures.seconds} s; start-up ${figures.startupMs} ms, ` +
              `steady ${figures.steadyObjectsPerSec} objects/s, audit lag ${figures.auditLagMs} ms); CPU ${cpuLine(figures.cpu)}`,
          );
          say(`sink: audit events by action: ${JSON.stringify(figures.actions)}`);
        },
        (failure) => {
          sink = failure;
        },
      )
      .catch(() => undefined);

    await phases.run(
      'cluster',
      async () => {
        const owned = await checkOwnedObjects(sinkKube, config, env.nodes, say);
        inCluster = owned.counts;
        if (owned.short) phases.failed = true;
      },
      (failure) => {
        inCluster = failure;
      },
    );
  } catch {
    // Reported above; the JSON line below still says what ran.
  } finally {
    unregister();
    await cleanUp();
    floorKube.close();
    sinkKube.close();
  }

  const ratio =
    'objectsPerSec' in sink && 'objectsPerSec' in floor
      ? Math.round((sink.objectsPerSec / floor.objectsPerSec) * 1000) / 1000
      : null;
  say(`sink objects/s ÷ floor objects/s = ${ratio ?? 'n/a'}`);
  const result = {
    bench: 'apply',
    nodes: env.nodes,
    objectsPerNode: OBJECTS_PER_NODE,
    objects,
    concurrency: env.concurrency,
    input,
    floor,
    sink,
    inCluster,
    ratio,
    leftoverNamespacesAtStart: leftovers.length,
    machine: machineInfo(loadBefore),
  };
  say(JSON.stringify(result));
  return phases.failed ? 1 : 0;
}

runBench('bench:apply', sinkBenchEnv, main);
