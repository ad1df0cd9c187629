import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { captureSources } from '../../src/cli/commands/capture-sources.js';
import { processorGroupId, sinkGroupId } from '../../src/contracts/index.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import { createKafka } from '../../src/kafka/index.js';
import { runProcessor } from '../../src/processor/process-runner.js';
import { openKubeClient } from '../../src/sink/kube/index.js';
import { runSink } from '../../src/sink/sink-runner.js';
import { once } from './interrupt.js';

// `rowkube run` in this process: capture, process and apply wired exactly as
// src/cli/commands/run.ts wires them (a Kafka client per stage, one Kubernetes
// client with twice the sink's concurrency in sockets), but stopped by the
// bench instead of by a signal. The bench sees the pipeline only from
// outside: rows go into the database, audit events come out of Kafka.

export interface PipelineRun {
  /** Rejects with the first stage's error if a stage stops before stop() was called; never resolves. */
  readonly failed: Promise<never>;
  /** Stops every stage, waits until each committed its positions, removes the consumer groups. */
  stop(): Promise<void>;
}

/** How long the stages may take to stop once asked; past it the bench moves on to clean up. */
const STOP_TIMEOUT_MS = 30_000;

export function startPipeline(config: RowkubeConfig, logger: Logger): PipelineRun {
  const stop = new AbortController();
  const { signal } = stop;
  const kafkaFor = (component: string) => {
    const log = logger.child({ component });
    return {
      log,
      kafka: createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, logger: log }),
    };
  };
  const kube = openKubeClient(config.kubernetes.kubeconfig, config.kubernetes.concurrency * 2);
  const processor = kafkaFor('processor');
  const sink = kafkaFor('sink');
  const stoppedEarly = (stage: string) => () => {
    if (!signal.aborted) throw new Error(`${stage} returned before the bench stopped it`);
  };
  const stages = [
    captureSources(config, signal, logger.child({ component: 'capture' })).then((failedSources) => {
      if (failedSources > 0 && !signal.aborted)
        throw new Error('capture: the source failed (see the log above)');
      stoppedEarly('capture')();
    }),
    runProcessor({ config, kafka: processor.kafka, logger: processor.log, signal }).then(
      stoppedEarly('the processor'),
    ),
    runSink({ config, kafka: sink.kafka, kube, logger: sink.log, signal }).then(stoppedEarly('the sink')),
  ];
  const failed = Promise.race(stages).then(
    () => new Promise<never>(() => undefined),
    (error: unknown) => {
      if (signal.aborted) return new Promise<never>(() => undefined);
      throw error;
    },
  );
  failed.catch(() => undefined);
  return {
    failed,
    // Once: the normal path and an interrupt may both stop it.
    stop: once(async () => {
      stop.abort();
      const settled = Promise.allSettled(stages);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS);
      });
      if ((await Promise.race([settled, late])) === 'late')
        logger.warn(`rowkube run did not stop within ${STOP_TIMEOUT_MS} ms of being asked`);
      clearTimeout(timer);
      kube.close();
      await deleteGroups(processor.kafka, [
        processorGroupId(config.kafka.topicPrefix),
        sinkGroupId(config.kafka.topicPrefix),
      ]);
    }),
  };
}

/** The stages' consumer groups outlive the run otherwise; best effort, the names are unique to the run. */
async function deleteGroups(kafka: Kafka, groupIds: string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups(groupIds);
  } catch {
    // Left behind: an empty group expires on its own.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
