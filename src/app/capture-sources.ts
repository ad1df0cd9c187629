import type { Logger } from 'pino';
import { connectorFor } from '../../connectors/registry.js';
import { type CaptureTarget, runCapture } from '../../connectors/run-capture.js';
import {
  KubeLeaseStore,
  LeaderGuardSink,
  LeaseElector,
  leaseNamespace,
  NotLeaderError,
  openLeaseClient,
  type TermEnd,
} from '../cluster/index.js';
import { captureLeaseName, defaultInstanceName, type PipelineMetrics } from '../contracts/index.js';
import type { ChangeSink } from '../core/change-event.js';
import type { RowkubeConfig, SourceConfig } from '../core/config/config-schema.js';
import {
  createKafka,
  isFenced,
  KafkaCapturedRows,
  KafkaChangeSink,
  type KafkaChangeSinkStats,
  registryClientFor,
  wireFormatFor,
} from '../kafka/index.js';
import { ObservedChangeSink } from '../observability/observed-change-sink.js';

// Change capture of every configured source, as `rowkube capture` and
// `rowkube run` start it: for each source, the connector the registry picks,
// the capture loop, and the source's Kafka sink.
//
// With leaderElection.enabled, each source's capture runs only while this
// replica holds the source's Lease (src/cluster): one term of leadership is
// one runCapture under a signal that aborts when the term ends. The Kafka
// transactional id of the source stays the fence behind the Lease: a deposed
// leader that wakes up is refused by the broker, and capture then steps down
// (campaigns again) instead of retrying — reopening the producer would fence
// the new leader in turn. Every write also checks, on the monotonic clock,
// that the renew deadline has not passed (LeaderGuardSink).

/** The readiness component of one source's capture. */
export function captureComponent(source: string): string {
  return `capture/${source}`;
}

/** One source's sink, just opened: what a sink wrapper may read besides the sink itself. */
export interface OpenedCaptureSink {
  /** The source's name. */
  readonly source: string;
  /** What the source's Kafka sink sent and committed since it opened (events, source commits, Kafka transactions). */
  stats(): Readonly<KafkaChangeSinkStats>;
}

/**
 * Sees a source's sink from the connector's side: called once per source,
 * as soon as its Kafka sink opened (the broker answered and any earlier
 * instance was fenced), before the stored position is read. The connector
 * then calls the sink it returns. For benchmarks that time each row from its
 * hand-over to its commit; `rowkube` itself wraps nothing.
 *
 * The returned sink must pass every call through, abort() included (capture
 * aborts the sink to recover after a failure) and recordSchema() (without it
 * no schema history is kept), and return what the inner sink returns, so that
 * the connector's back-pressure is unchanged.
 */
export type WrapCaptureSink = (sink: ChangeSink, opened: OpenedCaptureSink) => ChangeSink;

export interface CaptureSourcesOptions {
  /** Stops every source: each finishes its sink call in flight and closes its sink. */
  signal: AbortSignal;
  logger: Logger;
  /** With metrics, each source reports its change events and whether it streams (component `capture/<source>`). */
  metrics?: PipelineMetrics | undefined;
  /** Default: none, the connector calls the sink capture opened. */
  wrapSink?: WrapCaptureSink | undefined;
  /**
   * This replica's name: its holderIdentity in the Leases when
   * leaderElection.enabled, so distinct per replica. Default: HOSTNAME (the
   * pod name), as `--instance`.
   */
  instance?: string | undefined;
}

/**
 * Runs every source until the signal stops them; resolves with the failure
 * of each source that failed for good (each is logged), none after a clean
 * stop.
 */
export async function captureSources(
  config: RowkubeConfig,
  options: CaptureSourcesOptions,
): Promise<unknown[]> {
  const { logger, metrics } = options;
  const election = config.leaderElection;
  const leaseClient = election.enabled ? openLeaseClient(config.kubernetes.kubeconfig, election) : undefined;
  const namespace = election.enabled ? leaseNamespace(election.namespace) : undefined;
  const results = await Promise.allSettled(
    config.sources.map((source) => {
      if (leaseClient === undefined || namespace === undefined)
        return captureSource(source, config, options, options.signal, () => true);
      const store = new KubeLeaseStore(
        leaseClient,
        namespace,
        captureLeaseName(config.kafka.topicPrefix, source.name),
      );
      return electedCaptureSource(source, config, options, store);
    }),
  ).finally(() => leaseClient?.close());
  const failures: unknown[] = [];
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      failures.push(result.reason);
      const source = config.sources[i]?.name ?? '';
      metrics?.stageFailed('capture', result.reason);
      metrics?.componentState(
        captureComponent(source),
        false,
        `stopped: ${(result.reason as Error).message}`,
      );
      logger.error({ source, err: result.reason }, 'source stopped');
    }
  });
  return failures;
}

/**
 * One source under leader election: campaigns for its Lease, captures while
 * it leads, stands by (ready: the replica still processes and applies)
 * while another replica does.
 */
async function electedCaptureSource(
  source: SourceConfig,
  config: RowkubeConfig,
  options: CaptureSourcesOptions,
  store: KubeLeaseStore,
): Promise<void> {
  const { metrics } = options;
  const log = options.logger.child({ source: source.name });
  const component = captureComponent(source.name);
  const lease = `${store.namespace}/${store.name}`;
  const elector: LeaseElector = new LeaseElector({
    store,
    identity: options.instance ?? defaultInstanceName(),
    timing: config.leaderElection,
    logger: log,
    lease,
    onLeading: () => {
      metrics?.captureLeader?.(source.name, true);
      metrics?.componentState(component, false, 'leading: connecting to Kafka');
    },
    onLost: (why) => {
      metrics?.captureLeader?.(source.name, false);
      metrics?.componentState(component, true, `standing by (lost leadership: ${why})`);
    },
    onStandby: (holder) => metrics?.componentState(component, true, `standing by (leader: ${holder})`),
  });
  metrics?.captureLeader?.(source.name, false);
  metrics?.componentState(component, true, `standing by (campaigning for Lease ${lease})`);
  await elector.run(options.signal, async (term): Promise<TermEnd> => {
    try {
      await captureSource(source, config, options, term, () => elector.isLeader());
      return 'stopped';
    } catch (error) {
      if (term.aborted) return 'stopped';
      if (error instanceof NotLeaderError || isFenced(error)) {
        log.warn(
          { err: error, action: 'step-down', lease },
          'capture stepped down: another replica took over the source (fenced), campaigning again',
        );
        return 'step-down';
      }
      throw error;
    }
  });
}

/**
 * Captures one source until `signal` aborts. `isLeader` guards every write
 * and every (re)opening of the Kafka sink: always true without leader
 * election.
 */
async function captureSource(
  source: SourceConfig,
  { kafka: kafkaConfig, schemaRegistry }: RowkubeConfig,
  { logger, metrics, wrapSink }: CaptureSourcesOptions,
  signal: AbortSignal,
  isLeader: () => boolean,
) {
  const log = logger.child({ source: source.name });
  const component = captureComponent(source.name);
  const readiness = (ready: boolean, reason?: string) => metrics?.componentState(component, ready, reason);
  const connector = connectorFor(source);
  const kafka = createKafka({ ...kafkaConfig, logger: log });
  let kafkaSink: KafkaChangeSink | undefined;
  // One per source for its life: registrations are cached across sink restarts.
  const registryClient = registryClientFor(schemaRegistry);
  const wire = wireFormatFor(kafkaConfig.topicPrefix, registryClient);
  // Opened inside the loop, so that a broker that is down at start is waited
  // out like any other outage. The sink comes first: creating it fences any
  // earlier instance of this source, and Kafka finishes or aborts what that
  // one left open before the position is read.
  const openSink = async (): Promise<CaptureTarget> => {
    // Opening initialises the transactional id, which fences whoever holds
    // it: only the Lease holder may, or a deposed leader would fence the new one.
    if (!isLeader()) throw new NotLeaderError(source.name);
    const opened = await KafkaChangeSink.create({
      kafka,
      prefix: kafkaConfig.topicPrefix,
      source: source.name,
      partitions: kafkaConfig.partitions,
      replicationFactor: kafkaConfig.replicationFactor,
      logger: log,
      wire,
      tables: source.tables,
      onTableStopped: (table) => metrics?.tableStopped?.(source.name, table),
    });
    kafkaSink = opened;
    if (!isLeader()) throw new NotLeaderError(source.name);
    readiness(false, 'connecting to the database');
    const observed = new ObservedChangeSink(new LeaderGuardSink(opened, source.name, isLeader), {
      source: source.name,
      logger: log,
      ...(metrics === undefined ? {} : { metrics }),
    });
    // Outermost, so that a wrapper sees the calls exactly as the connector makes them.
    const sink =
      wrapSink === undefined
        ? observed
        : wrapSink(observed, { source: source.name, stats: () => opened.stats });
    return {
      sink,
      loadOffset: () => opened.loadPosition(),
      loadSchemaHistory: () => opened.loadSchemaHistory(),
      capturedRows: new KafkaCapturedRows({
        kafka,
        prefix: kafkaConfig.topicPrefix,
        registry: registryClient,
      }),
    };
  };
  readiness(false, 'connecting to Kafka');
  try {
    await runCapture(connector, openSink, {
      signal,
      logger,
      sinkName: 'Kafka',
      onReadiness: readiness,
      snapshotChunkRows: source.snapshotChunkRows,
      onSnapshotProgress: (progress) =>
        metrics?.snapshotProgress?.(source.name, progress.rows, progress.estimated),
    });
  } finally {
    await kafkaSink?.close();
    wire.close();
  }
}
