import type { Logger } from 'pino';
import type { DesiredValue, PipelineMetrics } from '../contracts/index.js';
import { auditTopic, desiredTopic, schemasTopic, sinkGroupId, statusTopic } from '../contracts/index.js';
import { DEFAULT_CLUSTER } from '../core/config/cluster-references.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import {
  decodeNativeKey,
  foldCompactedTopic,
  foldPackedTopic,
  type Kafka,
  OffsetTracker,
  type PackedValue,
  packValue,
  RecordProducer,
  registryClientFor,
  runConsumerStage,
  SchemaRegistry,
  type StageAttempt,
  type TrackedHandler,
  toNodeStatus,
  unpackValue,
  wireFormatFor,
} from '../kafka/index.js';
import { ClusterSet, type SinkCluster } from './clusters/cluster-set.js';
import { AuditPublisher, type KubeApi, type ObjectRef } from './index.js';
import { unreachableApiserver } from './runner/apiserver-gate.js';
import { desiredScheduler } from './runner/desired-scheduler.js';
import { DesiredShare } from './runner/desired-share.js';
import { nodeParts } from './runner/desired-work.js';
import { runDriftPasses } from './runner/drift-passes.js';
import { PartitionCatchUp, readPartitionValues } from './runner/partition-catch-up.js';
import { StatusPublisher } from './status/status-publisher.js';
import { StatusTracker } from './status/status-tracker.js';

// `rowkube apply`: `<prefix>.desired` → Kubernetes, every action → `<prefix>.audit`,
// every node's state → `<prefix>.status` (status/status-tracker.ts).
//
// Records are consumed in a consumer group (instances share the partitions)
// and handed to a scheduler that runs nodes concurrently, one record per node
// at a time, retrying a failing node with backoff while the others flow. An
// offset is committed only when every record before it is fully handled and
// its audit events and its status are acknowledged, so a crash re-applies
// (idempotently) and never loses an action.
//
// At start the sink lists the objects that carry its owner labels and keeps
// watching them (the cache: the inventory for pruning, readiness, drift), and
// reads the desired topic whole: nodes whose objects exist but whose desired
// state is gone are removed. An owned object someone else changes or deletes
// is set back when its watch event arrives; every node is also re-applied each
// driftIntervalSeconds, a safety net for what no event shows, the pass
// spread over its interval (runner/drift-passes.ts). Both only for
// nodes of the partitions assigned to this replica: another replica's newer
// write to a node it took over is not drift here (runner/desired-share.ts).
// A partition taken over is read again in the background to learn what the
// other replica applied (runner/partition-catch-up.ts).

export interface RunSinkOptions {
  config: RowkubeConfig;
  kafka: Kafka;
  /** The cluster, without kubernetes.clusters (it is named `default`). */
  kube: KubeApi;
  /** With kubernetes.clusters: a client per configured cluster, by name; `kube` is then unused. */
  clusters?: ReadonlyMap<string, KubeApi> | undefined;
  logger: Logger;
  /** Stops the sink: work in progress stops, handled offsets are committed. */
  signal: AbortSignal;
  /** Called once the inventory is listed and the consumer runs (tests). */
  onReady?: () => void;
  /** How often readiness is looked at first, ms (default 250; it backs off to 2 s). */
  readinessPollMs?: number;
  /** Pause before restarting after a retriable failure. Default 1,000 ms. */
  restartDelayMs?: number;
  /** Where the sink reports its actions (audit events), failures and readiness (component `sink`). */
  metrics?: PipelineMetrics;
}

/**
 * Records read but not handled before the consumer waits: bounds memory, not
 * speed. Large, so that the consumer reads past a bulk of new nodes to the
 * single-row update behind it in the same partition; only MAX_STARTED nodes
 * run at once and the rest wait parked. A parked entry holds its decoded
 * value (the share keeps only the packed bytes), a few KB, so the bound is
 * 20,000 rather than unbounded: a bulk larger than that delays an update
 * behind it until the bulk's head is applied.
 */
const MAX_IN_FLIGHT = 20_000;
/** Nodes running at once before bulk work waits parked: what holds rendered objects and requests. */
const MAX_STARTED = 5_000;
const COMMIT_INTERVAL_MS = 200;
/** A drift pass waits while this many nodes per request slot are busy: enough to keep every slot fed. */
const DRIFT_MAX_BUSY_PER_REQUEST = 4;
/** A crashed instance's partitions move on after 10 s, not kafkajs's 30 s. */
const SESSION_TIMEOUT_MS = 10_000;

export async function runSink(options: RunSinkOptions): Promise<void> {
  const { config, kafka, signal, logger, metrics, restartDelayMs } = options;
  const prefix = config.kafka.topicPrefix;
  const { replicationFactor, partitions } = config.kafka;
  await runConsumerStage({
    stage: 'sink',
    kafka,
    signal,
    logger,
    metrics,
    restartDelayMs,
    restarting: 'starting over from the committed offsets',
    unreachable: unreachableApiserver,
    topics: [
      { name: schemasTopic(prefix), kind: 'schemas', replicationFactor },
      { name: desiredTopic(prefix), kind: 'desired', partitions, replicationFactor },
      { name: auditTopic(prefix), kind: 'audit', partitions, replicationFactor },
      ...(config.sink.status
        ? [{ name: statusTopic(prefix), kind: 'status' as const, partitions, replicationFactor }]
        : []),
    ],
    open: (attempt) => openSink(options, attempt),
  });
}

/**
 * The clusters the sink applies to: each of kubernetes.clusters with its
 * client, or the one cluster, named `default`.
 */
function sinkClusters(
  config: RowkubeConfig,
  kube: KubeApi,
  clients: ReadonlyMap<string, KubeApi> | undefined,
): SinkCluster[] {
  const configured = config.kubernetes.clusters;
  if (configured === undefined) return [{ name: DEFAULT_CLUSTER, kube }];
  return Object.entries(configured).map(([name, cluster]) => {
    const client = clients?.get(name);
    if (client === undefined) throw new Error(`runSink: no client for cluster '${name}'`);
    return { name, kube: client, allowedNamespaces: cluster.allowedNamespaces };
  });
}

/** One attempt's state: audit producer, inventory, desired state, scheduler; and the handler feeding it. */
async function openSink(options: RunSinkOptions, attempt: StageAttempt): Promise<TrackedHandler> {
  const { config, kafka, kube, logger } = options;
  const { signal } = attempt;
  const prefix = config.kafka.topicPrefix;
  const topic = desiredTopic(prefix);
  const groupId = sinkGroupId(prefix);
  const producer = await RecordProducer.open(kafka);
  attempt.onClose(() => producer.close());
  const registryClient = registryClientFor(config.schemaRegistry);
  attempt.onClose(async () => registryClient?.close());
  const wire = wireFormatFor(prefix, registryClient);
  const audit = await AuditPublisher.open(producer, auditTopic(prefix), schemasTopic(prefix), wire);
  const registry = await SchemaRegistry.open({ kafka, prefix, registry: registryClient });
  // The newest desired state of every node (what is pruned at start, and
  // what drift checks re-apply for the nodes of this replica's partitions),
  // kept as the record's Avro bytes and decoded only for a drift correction:
  // a decoded value is several times its bytes, and the sink holds one per node.
  const share = new DesiredShare<PackedValue>(SESSION_TIMEOUT_MS);
  let records = 0;
  // The inventory's LIST and the desired topic's read at once: each waits on
  // its server (the apiserver's encoding, Kafka's fetches) while the other runs.
  const [opened, folded] = await Promise.allSettled([
    ClusterSet.open({
      clusters: sinkClusters(config, kube, options.clusters),
      named: config.kubernetes.clusters !== undefined,
      config,
      readinessPollMs: options.readinessPollMs,
      watch: true,
      logger,
      metrics: options.metrics,
      signal,
      onWatchError: (cluster, where, error, retryInMs) =>
        logger.warn(
          { err: error, retryInMs, cluster },
          `watch of ${where} failed; the cache is behind until it runs again`,
        ),
    }),
    foldPackedTopic(
      {
        kafka,
        topic,
        resolver: registry,
        signal,
        allowMissing: true,
        onEnds: (ends) => share.seededTo(ends),
      },
      (entry) => {
        records += 1;
        if (entry.partition !== undefined) share.seed(entry.key, entry.partition, entry.value);
      },
    ),
  ]);
  if (opened.status === 'fulfilled') attempt.onClose(async () => opened.value.close());
  if (opened.status === 'rejected') throw opened.reason;
  if (folded.status === 'rejected') throw folded.reason;
  const resources = opened.value;
  const owned = resources.objectsFound;

  logger.info({ objects: owned, nodes: share.size }, 'inventory listed and desired state read');

  // Every node's status as last written: the state each continues from, and
  // the Deleted nodes whose tombstones are still due.
  let status: StatusTracker | undefined;
  if (config.sink.status) {
    const publisher = await StatusPublisher.open(producer, statusTopic(prefix), schemasTopic(prefix), wire);
    const tracker = new StatusTracker({
      sink: publisher,
      deletedRetentionMs: config.sink.statusDeletedRetentionSeconds * 1_000,
      partsOf: (nodeId, value) => nodeParts(nodeId, value, config.forms),
      mayRemove: (nodeId) => share.gone(nodeId),
      logger,
    });
    await foldCompactedTopic<unknown>(
      { kafka, topic: statusTopic(prefix), resolver: registry, signal, allowMissing: true },
      (entry) => tracker.seed(entry.key, entry.value === null ? null : toNodeStatus(entry.value)),
    );
    status = tracker;
  }

  const tracker = new OffsetTracker();
  // Drift seen while its node was busy: checked again when the node is idle,
  // since the work in progress may have been applied before the change.
  const driftWhileBusy = new Map<string, { cluster: string; ref: ObjectRef }[]>();
  // Only nodes of the partitions assigned to this replica, with the value it
  // got for them: another replica's newer write is no drift here (desired-share.ts).
  const correct = (nodeId: string) => {
    const value = unpacked(nodeId, share.correction(nodeId));
    // Someone changed an object of a node that exists: as urgent as an update.
    if (value !== null) nodes.submit({ nodeId, lane: 'urgent', payload: { value, verify: true } });
  };
  // Decoded as it was when it arrived; a value that no longer decodes is left alone, and said.
  const unpacked = (nodeId: string, packed: PackedValue | null): DesiredValue | null => {
    if (packed === null) return null;
    try {
      return unpackValue<DesiredValue>(packed);
    } catch (error) {
      logger.error(
        { err: error, node: nodeId },
        'the desired state kept for drift correction does not decode',
      );
      return null;
    }
  };
  const nodes = desiredScheduler({
    config,
    resources,
    audit,
    status,
    logger,
    metrics: options.metrics,
    onHandled: (record) => tracker.done(record.partition, record.offset),
    signal,
    maxStarted: MAX_STARTED,
    onIdle: (nodeId) => {
      const refs = driftWhileBusy.get(nodeId);
      if (refs === undefined) return;
      driftWhileBusy.delete(nodeId);
      if (refs.some(({ cluster, ref }) => resources.drifted(cluster, ref))) correct(nodeId);
    },
  });
  // An owned object changed or deleted by someone else: its node is applied
  // again, looking at the live objects, as the timed drift pass would.
  const stopDrift = resources.onDrift(({ nodeId, ref, cluster }) => {
    if (share.correction(nodeId) === null) return;
    if (!nodes.isBusy(nodeId)) return correct(nodeId);
    driftWhileBusy.set(nodeId, [...(driftWhileBusy.get(nodeId) ?? []), { cluster, ref }]);
  });
  attempt.onClose(async () => stopDrift());
  // A partition taken over: its nodes are corrected once read (or their records arrive).
  // Objects this replica does not know, or saw change, may have been set wrong meanwhile: applied again, looking.
  const catchUp = new PartitionCatchUp<PackedValue>({
    share,
    read: (partitions, from, readSignal) =>
      readPartitionValues({ kafka, topic, resolver: registry, signal: readSignal, partitions, from }),
    onLearned: (nodeIds) => {
      for (const nodeId of nodeIds) if (resources.unsure(nodeId)) correct(nodeId);
    },
    logger,
    signal,
  });

  // Objects of nodes whose desired state is gone (a tombstone compacted away
  // while the sink was down). An empty desired topic more likely means a
  // wrong prefix or a topic deleted by hand than "delete everything".
  const gone = resources.nodes().filter((nodeId) => !share.holds(nodeId));
  if (records === 0 && gone.length > 0)
    logger.warn(
      { nodes: gone.length, topic },
      'the desired topic is empty: objects of this prefix are left alone',
    );
  else
    for (const nodeId of gone)
      nodes.submit({ nodeId, lane: 'bulk', payload: { value: null, verify: false } });
  // A move a crash interrupted: objects on a cluster the node no longer
  // belongs on. Applying the node again finishes the move in order (created
  // on its cluster, then removed from the old one).
  if (config.kubernetes.clusters !== undefined)
    for (const nodeId of resources.nodes()) {
      const value = unpacked(nodeId, share.seeded(nodeId));
      if (value !== null && resources.misplaced(value))
        nodes.submit({ nodeId, lane: 'bulk', payload: { value, verify: false } });
    }

  // Ends with the attempt's signal, which is aborted before onStopping.
  let drifting: Promise<void> | undefined;
  let removing: Promise<void> | undefined;
  return {
    commits: 'tracked',
    group: { groupId, topics: [topic], sessionTimeoutMs: SESSION_TIMEOUT_MS },
    tracker,
    commitIntervalMs: COMMIT_INTERVAL_MS,
    maxInFlight: MAX_IN_FLIGHT,
    onAssignment: (assignment) => catchUp.assigned(share.assigned(assignment.get(topic) ?? [])),
    onHeartbeat: () => share.alive(),
    onRecord: async (record) => {
      const nodeId = String(await decodeNativeKey(record, registry));
      // One packed value, held by the share and by the work until it runs (runner/desired-work.ts).
      const packed = await packValue(record, registry);
      share.received(nodeId, record.partition, packed);
      nodes.submit({
        nodeId,
        // A change to a node with objects in the cluster goes before the work
        // of new nodes (a bulk): runner/request-lane.ts.
        lane: resources.hasNode(nodeId) ? 'urgent' : 'bulk',
        payload: {
          packed: { value: packed, receivedAtMs: record.receivedAtMs },
          record: { partition: record.partition, offset: record.offset },
          verify: false,
        },
      });
    },
    onRunning: () => {
      const driftMs = config.kubernetes.driftIntervalSeconds * 1_000;
      if (driftMs > 0)
        drifting = runDriftPasses({
          intervalMs: driftMs,
          // Only nodes this replica may set back (runner/desired-share.ts).
          nodeIds: () => [...share.correctable()].map(([nodeId]) => nodeId),
          check: (nodeId) => {
            // A node busy with a record is about to be applied anyway.
            if (nodes.isBusy(nodeId)) return false;
            const value = unpacked(nodeId, share.correction(nodeId));
            if (value === null) return false;
            // A safety net, not a change: it yields to updates.
            nodes.submit({ nodeId, lane: 'bulk', payload: { value, verify: true } });
            return true;
          },
          busy: () => nodes.busy,
          maxBusy: DRIFT_MAX_BUSY_PER_REQUEST * config.kubernetes.concurrency,
          logger,
          signal,
        });
      // Tombstones of Deleted nodes, once this replica's partitions are known (mayRemove).
      removing = status?.run(signal);
      options.onReady?.();
      resources.reportUp();
      options.metrics?.componentState('sink', true);
      logger.info({ groupId, topic, concurrency: config.kubernetes.concurrency }, 'sink running');
    },
    onStopping: async () => {
      await drifting;
      await removing;
      await catchUp.idle();
      await nodes.idle();
    },
  };
}
