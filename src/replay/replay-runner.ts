import type { Logger } from 'pino';
import type { AuditEvent, DesiredValue } from '../contracts/index.js';
import { auditTopic, desiredTopic, schemasTopic } from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import {
  foldCompactedTopic,
  type Kafka,
  KafkaAdmin,
  RecordProducer,
  registryClientFor,
  SchemaRegistry,
  type SchemaRegistryClient,
  wireFormatFor,
} from '../kafka/index.js';
import { AuditPublisher, isFinal, type KubeApi, ResourceManager } from '../sink/index.js';
import { historyWarning } from './desired-history.js';
import { inPool } from './in-pool.js';
import type { ReadyReport } from './ready-tally.js';
import { type ReplaySelection, ReplayState } from './replay-selection.js';
import { type NodeFailure, ReplayTally } from './replay-tally.js';
import { waitForReplayed } from './replay-wait.js';

// `rowkube replay`: rebuilds a cluster from `<prefix>.desired`. The topic is
// read from earliest to its current end (read_committed), each node's state
// is picked (the newest, or the newest as of --at), and every live node is
// applied with the sink's own resource manager — schedule order, readiness,
// policies, pruning, the same request limiter — into the target cluster. Every action
// goes to `<prefix>.audit` like the sink's, with "replay" in its reason.
//
// The target is meant to be a new, empty cluster that no sink applies to. If
// it already holds objects of this prefix, they are listed first (as the sink
// does at start): unchanged ones are left alone, and nodes that are not live
// in the replayed state are removed, so the cluster ends as of that state.
// With --wait, it then waits until the live nodes' objects are ready.

export interface ReplayOptions {
  config: RowkubeConfig;
  kafka: Kafka;
  /** The cluster to rebuild. */
  kube: KubeApi;
  logger: Logger;
  /** Stops the replay: nodes in progress stop at their next step, no new node starts. */
  signal: AbortSignal;
  /** Rebuild the state as of this time (ms since the epoch); default the current state. */
  atMs?: number;
  /** Called with a progress line every progressIntervalMs while nodes are applied. */
  onProgress?: (line: string) => void;
  /** Default 2,000 ms. */
  progressIntervalMs?: number;
  /** How often readiness is looked at first, ms (default 250, as the sink). */
  readinessPollMs?: number;
  /** Attempts per node when the API server cannot be reached (default 5), with the sink's backoff. */
  maxAttempts?: number;
  /**
   * --wait: once every node is applied, wait at most this long (ms) until the
   * objects of every live node are ready. Undefined: no wait.
   */
  waitTimeoutMs?: number;
}

export interface ReplayReport {
  topic: string;
  atMs: number | undefined;
  selection: Omit<ReplaySelection, 'live' | 'unrendered'> & { live: number; unrendered: string[] };
  /** Nodes of this prefix in the target that are not live in the replayed state: removed. */
  removed: string[];
  /** Nodes applied (or removed) without any failure. */
  succeeded: number;
  failures: NodeFailure[];
  /** Audit actions and how many of each, in AUDIT_ACTIONS order. */
  actions: [string, number][];
  objects: number;
  /** Objects of this prefix found in the target before the replay. */
  objectsBefore: number;
  /** When the history cannot be trusted as far back as --at. */
  warning?: string;
  /** The replay was stopped before every node was handled. */
  stopped: boolean;
  /** What --wait found; undefined without --wait, or when the replay was stopped before it. */
  wait?: ReadyReport;
  durationMs: number;
}

/** Nodes handled at once. Requests are bounded by the limiter; this bounds memory and open waits. */
const NODES_IN_FLIGHT = 256;

type NodeJob = { nodeId: string; value: DesiredValue | null };

export async function runReplay(options: ReplayOptions): Promise<ReplayReport> {
  const { config, kafka, kube, logger, signal, atMs } = options;
  const started = Date.now();
  const prefix = config.kafka.topicPrefix;
  const topic = desiredTopic(prefix);

  const admin = KafkaAdmin.lazy(kafka);
  let producer: RecordProducer | undefined;
  // Reads the desired topic in either wire format; writes audit events in the configured one.
  const registryClient = registryClientFor(config.schemaRegistry);
  try {
    await admin.connect();
    if (!(await admin.topicExists(topic)))
      throw new RowkubeError(
        ErrorCode.KAFKA,
        `nothing to replay: topic '${topic}' does not exist (is kafka.topicPrefix '${prefix}' right?)`,
      );
    const lagMs = await admin.compactionLagMs(topic);
    const warning = atMs === undefined ? undefined : historyWarning(atMs, Date.now(), lagMs);
    if (warning !== undefined) logger.warn({ topic, lagMs }, warning);

    const state = await readDesired(kafka, topic, prefix, atMs, signal, registryClient);
    const selection = state.selection();
    logger.info(
      {
        topic,
        records: selection.records,
        live: selection.live.length,
        deleted: selection.deleted.length,
        unrendered: selection.unrendered.length,
      },
      'desired state read',
    );

    const { replicationFactor, partitions } = config.kafka;
    await admin.ensureTopics([
      { name: schemasTopic(prefix), kind: 'schemas', replicationFactor },
      { name: auditTopic(prefix), kind: 'audit', partitions, replicationFactor },
    ]);
    producer = await RecordProducer.open(kafka);
    const audit = await AuditPublisher.open(
      producer,
      auditTopic(prefix),
      schemasTopic(prefix),
      wireFormatFor(prefix, registryClient),
    );

    const resources = await ResourceManager.open({ kube, config, readinessPollMs: options.readinessPollMs });
    const objectsBefore = resources.objectsFound;

    // Objects of an unrendered node stay as they are, as the sink leaves them.
    const keep = new Set([...selection.live, ...selection.unrendered].map((value) => value.id));
    const removed = resources.nodes().filter((nodeId) => !keep.has(nodeId));
    const jobs: NodeJob[] = [
      ...selection.live.map((value) => ({ nodeId: value.id, value })),
      ...removed.map((nodeId) => ({ nodeId, value: null })),
    ];
    const tally = new ReplayTally(jobs.length);
    const marker = atMs === undefined ? 'replay' : `replay as of ${new Date(atMs).toISOString()}`;

    // An empty target has nothing to compare with: apply straight away. A
    // target that already holds objects is checked object by object, so that
    // changes made there are undone, as drift correction does.
    const verify = objectsBefore > 0;
    const maxAttempts = options.maxAttempts ?? 5;
    const handle = async (job: NodeJob): Promise<void> => {
      let pauseMs = config.kubernetes.retry.initialSeconds * 1_000;
      const events: AuditEvent[] = [];
      for (let attempt = 1; ; attempt += 1) {
        const changes =
          job.value === null
            ? await resources.delete(job.nodeId)
            : await resources.apply(job.value, { verify, signal });
        try {
          if (changes.failure !== undefined) throw changes.failure;
          events.push(...changes.events);
          await audit.publish(asReplayEvents(changes.events, marker));
          tally.nodeDone(
            job.nodeId,
            events,
            signal.aborted ? 'stopped before the node was complete' : undefined,
          );
          return;
        } catch (error) {
          // Final failures (an invalid object) are events of the change set, not
          // its failure; what stops a node is the API server out of reach.
          const retry = !isFinal(error) && attempt < maxAttempts && !signal.aborted;
          const message = error instanceof Error ? error.message : String(error);
          const failed = resources.failed(job.nodeId, job.value, {
            reason: retry
              ? `${message}; retrying in ${pauseMs} ms`
              : `${message} (attempt ${attempt}, giving up)`,
            errorCode: (error as { code?: string }).code ?? null,
          });
          const attemptEvents = [...changes.events, ...failed.events];
          await audit.publish(asReplayEvents(attemptEvents, marker));
          if (!retry) {
            tally.nodeDone(job.nodeId, [...events, ...attemptEvents]);
            return;
          }
          logger.warn({ node: job.nodeId, err: error, retryInMs: pauseMs }, 'node failed; retrying');
          await abortableSleep(pauseMs, signal);
          pauseMs = Math.min(pauseMs * 2, config.kubernetes.retry.maxSeconds * 1_000);
        }
      }
    };

    const progress = setInterval(
      () => options.onProgress?.(tally.progressLine(Date.now() - started)),
      options.progressIntervalMs ?? 2_000,
    );
    try {
      await inPool(jobs, NODES_IN_FLIGHT, signal, handle);
    } finally {
      clearInterval(progress);
    }
    options.onProgress?.(tally.progressLine(Date.now() - started));

    const wait =
      options.waitTimeoutMs === undefined || signal.aborted
        ? undefined
        : await waitForReplayed({
            resources,
            nodes: selection.live,
            timeoutMs: options.waitTimeoutMs,
            signal,
            logger,
            retry: config.kubernetes.retry,
            nodesInFlight: NODES_IN_FLIGHT,
            publish: (events) => audit.publish(asReplayEvents(events, marker)),
            ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
            progressIntervalMs: options.progressIntervalMs ?? 2_000,
          });

    return {
      topic,
      atMs,
      selection: {
        ...selection,
        live: selection.live.length,
        unrendered: selection.unrendered.map((value) => value.id),
      },
      removed,
      succeeded: tally.succeeded,
      failures: tally.failures,
      actions: tally.actionCounts(),
      objects: tally.objects,
      objectsBefore,
      ...(warning === undefined ? {} : { warning }),
      stopped: tally.nodesDone < jobs.length || signal.aborted,
      ...(wait === undefined ? {} : { wait }),
      durationMs: Date.now() - started,
    };
  } finally {
    await producer?.close();
    await admin.close();
    registryClient?.close();
  }
}

/** The whole desired topic, each node's state as of atMs picked as the records go by. */
async function readDesired(
  kafka: Kafka,
  topic: string,
  prefix: string,
  atMs: number | undefined,
  signal: AbortSignal,
  registryClient: SchemaRegistryClient | undefined,
): Promise<ReplayState> {
  const registry = await SchemaRegistry.open({ kafka, prefix, registry: registryClient });
  const state = new ReplayState(atMs);
  await foldCompactedTopic<DesiredValue>({ kafka, topic, resolver: registry, signal }, (entry) =>
    state.offer({ nodeId: entry.key, value: entry.value, timestampMs: entry.timestampMs }),
  );
  if (signal.aborted) throw new RowkubeError(ErrorCode.KAFKA, `reading '${topic}' was stopped`);
  return state;
}

/**
 * A replay's events say so in their reason, and carry no latency: the action
 * is not the reaction to the commit, and a COMMIT→apply histogram fed from the
 * audit stream must not count the age of the history as latency.
 */
function asReplayEvents(events: readonly AuditEvent[], marker: string): AuditEvent[] {
  return events.map((event) => ({ ...event, reason: `${marker}: ${event.reason}`, latencyMs: null }));
}
