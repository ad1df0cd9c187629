import pino, { type Logger } from 'pino';
import type { PipelineMetrics } from '../contracts/index.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { createKafka } from '../kafka/index.js';
import { startObservability } from '../observability/index.js';
import { type RunProcessorOptions, runProcessor } from '../processor/process-runner.js';
import { type KubeApi, openKubeClient } from '../sink/kube/index.js';
import { type RunSinkOptions, runSink } from '../sink/sink-runner.js';
import { PipelineNodes } from '../status/index.js';
import { type CaptureSourcesOptions, captureSources } from './capture-sources.js';
import { type PipelineStage, stageComponents, stageLagGroups } from './pipeline-stages.js';
import { runStatusTables } from './status-tables.js';

// The one place the pipeline is assembled: the CLI commands, the benchmarks,
// the demo and the tests all start their stages here, so they run what a user
// runs. Observability (metrics, /readyz, consumer lag) starts with the stages
// and stops after them.
//
// Failure rules, those of `rowkube run`: a source that fails for good is
// reported while the others keep running, unless none is left; a processor or
// sink that fails for good stops everything, since nothing downstream of it
// can make progress.

export interface StartPipelineOptions {
  /** Which stages to run in this process; `rowkube run` runs all three. */
  stages: readonly PipelineStage[];
  /** Stops every stage: each finishes or abandons its in-flight work and commits its positions. */
  signal?: AbortSignal;
  /** Default: pino named rowkube. Each stage logs through a child with its `component`. */
  logger?: Logger;
  /**
   * Where the stages report. Default: what `config.observability` says — a
   * metrics registry behind the /metrics, /healthz and /readyz server, and the
   * consumer-lag watcher. A PipelineMetrics: the caller's, and no server.
   * `false`: nothing is reported (benchmarks that measure the stages alone, tests).
   */
  metrics?: PipelineMetrics | false;
  /**
   * This replica's name (`--instance`): the processor's among those sharing
   * the hubs, and the holder identity in the capture Leases under leader
   * election. Default: HOSTNAME (the pod name), else `0`.
   */
  instance?: string;
  /** The cluster the sink applies to; the caller closes it. Default: kubernetes.kubeconfig, closed at the end. */
  kube?: KubeApi;
  /**
   * For benchmarks that measure inside capture: wrapSink sees each source's
   * sink as the connector calls it (capture-sources.ts WrapCaptureSink).
   */
  capture?: Pick<CaptureSourcesOptions, 'wrapSink'>;
  /** Tuning of the processor for tests: readiness callback, restart pause. */
  processor?: Pick<RunProcessorOptions, 'onReady' | 'restartDelayMs'>;
  /** Tuning of the sink for tests: readiness callback and polling, restart pause. */
  sink?: Pick<RunSinkOptions, 'onReady' | 'readinessPollMs' | 'restartDelayMs'>;
}

export interface PipelineResult {
  /** 0 after a clean shutdown, 1 when a source or a stage failed. */
  exitCode: 0 | 1;
  /** Sources that failed for good (each was logged). */
  failedSources: number;
  /**
   * The failure that stopped the pipeline: the processor's or the sink's, or
   * "every source failed" (its cause: the first source's failure).
   */
  error?: unknown;
}

export interface Pipeline {
  /**
   * Resolves once every stage stopped and observability closed. Rejects only
   * when the assembly could not start (no cluster configured).
   */
  readonly done: Promise<PipelineResult>;
  /**
   * Rejects as soon as the pipeline stops by itself — a stage failed for
   * good, or ended without being asked — before the other stages finished
   * stopping; never resolves. For callers that wait on output and want to
   * fail at once.
   */
  readonly failed: Promise<never>;
  /** Asks every stage to stop and waits for `done`. */
  stop(): Promise<PipelineResult>;
}

/** Starts the stages at once; the handle says when they end and how. */
export function startPipeline(config: RowkubeConfig, options: StartPipelineOptions): Pipeline {
  const stopping = new AbortController();
  const signal =
    options.signal === undefined ? stopping.signal : AbortSignal.any([options.signal, stopping.signal]);
  let stoppedBy: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    stoppedBy = reject;
  });
  failed.catch(() => undefined);
  const done = run(config, options, signal, (error) => {
    stoppedBy(error);
    stopping.abort();
  });
  // An assembly that could not start fails `failed` too; whoever awaits `done` sees the rejection as well.
  done.catch(stoppedBy);
  return {
    done,
    failed,
    stop: () => {
      stopping.abort();
      return done;
    },
  };
}

async function run(
  config: RowkubeConfig,
  options: StartPipelineOptions,
  signal: AbortSignal,
  stopAll: (error: unknown) => void,
): Promise<PipelineResult> {
  const logger = options.logger ?? pino({ name: 'rowkube' });
  const stages = new Set(options.stages);
  const observabilityLog = logger.child({ component: 'observability' });
  const observability =
    options.metrics === undefined
      ? await startObservability({
          config,
          components: stageComponents(config, stages),
          lagGroups: stageLagGroups(config, stages),
          logger: observabilityLog,
          nodes: new PipelineNodes(config, observabilityLog),
        })
      : undefined;
  const metrics = options.metrics === undefined ? observability?.metrics : options.metrics || undefined;
  let failedSources = 0;
  let error: unknown;
  const fatal = (stage: string) => (failure: unknown) => {
    if (error !== undefined) return;
    error = failure;
    // Alone, the stage's caller reports the failure; with others, this line says why they stop.
    if (stages.size > 1) logger.error({ stage, err: failure }, `${stage} stopped for good: stopping rowkube`);
    stopAll(failure);
  };
  // A stage that returns while nobody asked it to stop cannot do its work any more.
  const endedEarly = (stage: string) => () => {
    if (!signal.aborted) fatal(stage)(new Error(`${stage} ended before it was asked to stop`));
  };
  const kafkaFor = (component: string) => {
    const log = logger.child({ component });
    return {
      log,
      kafka: createKafka({ ...config.kafka, logger: log }),
    };
  };
  let kube: KubeApi | undefined;
  const ownKube: { close(): void }[] = [];
  let clusters: Map<string, KubeApi> | undefined;
  try {
    if (stages.has('apply')) {
      const configured = config.kubernetes.clusters;
      if (configured !== undefined) {
        // A client per cluster, each with its own connection pool (docs/clusters.md).
        clusters = new Map();
        for (const [name, cluster] of Object.entries(configured)) {
          const opened = openKubeClient(cluster.kubeconfig, config.kubernetes.concurrency * 2);
          ownKube.push(opened);
          clusters.set(name, opened);
        }
        kube = options.kube ?? (clusters.values().next().value as KubeApi);
      } else if (options.kube === undefined) {
        const opened = openKubeClient(config.kubernetes.kubeconfig, config.kubernetes.concurrency * 2);
        kube = opened;
        ownKube.push(opened);
      } else kube = options.kube;
    }
    const running: Promise<void>[] = [];
    if (stages.has('capture'))
      running.push(
        captureSources(config, {
          signal,
          logger: logger.child({ component: 'capture' }),
          metrics,
          wrapSink: options.capture?.wrapSink,
          instance: options.instance,
        }).then((failures) => {
          failedSources = failures.length;
          // Every source failed before shutdown: nothing can flow, so say so by stopping.
          if (!signal.aborted && failures.length > 0 && failures.length === config.sources.length)
            fatal('capture')(new Error('every source failed', { cause: failures[0] }));
        }, fatal('capture')),
      );
    if (stages.has('process')) {
      const processor = kafkaFor('processor');
      running.push(
        runProcessor({
          config,
          kafka: processor.kafka,
          logger: processor.log,
          signal,
          ...(metrics === undefined ? {} : { metrics }),
          ...(options.instance === undefined ? {} : { instance: options.instance }),
          ...options.processor,
        }).then(endedEarly('the processor'), fatal('the processor')),
      );
    }
    if (kube !== undefined) {
      const sink = kafkaFor('sink');
      running.push(
        runSink({
          config,
          kafka: sink.kafka,
          kube,
          clusters,
          logger: sink.log,
          signal,
          ...(metrics === undefined ? {} : { metrics }),
          ...options.sink,
        }).then(endedEarly('the sink'), fatal('the sink')),
      );
      // A side output: its failures are logged where they happen and never stop the pipeline.
      const statusTables = kafkaFor('status-table');
      running.push(
        runStatusTables({ config, kafka: statusTables.kafka, logger: statusTables.log, signal }).catch(
          (failure: unknown) => statusTables.log.error({ err: failure }, 'the status tables stopped'),
        ),
      );
    }
    await Promise.all(running);
  } finally {
    for (const client of ownKube) client.close();
    await observability?.close();
  }
  return {
    exitCode: failedSources > 0 || error !== undefined ? 1 : 0,
    failedSources,
    ...(error === undefined ? {} : { error }),
  };
}
