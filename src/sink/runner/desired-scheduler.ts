import type { Logger } from 'pino';
import type { PipelineMetrics } from '../../contracts/index.js';
import type { RowkubeConfig } from '../../core/config/config-schema.js';
import { ErrorCode } from '../../core/errors.js';
import { isFinal } from '../apply/apply-resource.js';
import type { AuditPublisher } from '../audit/audit-publisher.js';
import type { ClusterSet } from '../clusters/cluster-set.js';
import type { StatusTracker } from '../status/status-tracker.js';
import { type DesiredWork, desiredOf } from './desired-work.js';
import { NodeScheduler } from './node-scheduler.js';
import { inLane } from './request-lane.js';

// The sink's core as one piece: each node's desired state is applied (or the
// node removed) by the scheduler, every action is published to the audit
// topic — and the node's status to the status topic — before the record
// counts as handled, and failures are logged and audited as they happen,
// retried or final.

export interface DesiredSchedulerOptions {
  config: RowkubeConfig;
  /** The clusters; a node failed because its cluster's API server did not answer retries once it answers. */
  resources: ClusterSet;
  audit: AuditPublisher;
  /** Node status (`<prefix>.status`); undefined when sink.status is off. */
  status?: StatusTracker | undefined;
  logger: Logger;
  metrics?: PipelineMetrics | undefined;
  /** A desired-topic record is handled (applied, removed, failed for good, or superseded). */
  onHandled: (record: { partition: number; offset: bigint }) => void;
  /** Stops every node: work in progress ends as stopped, and its record is not handled. */
  signal: AbortSignal;
  /** A node has nothing in progress or waiting any more. */
  onIdle?: (nodeId: string) => void;
  /** Nodes running at once before bulk work waits parked (node-scheduler.ts). */
  maxStarted?: number;
}

/** For a failure's audit: a value that does not decode (that failure itself) is reported without its provenance. */
function decodedOrNull(work: DesiredWork): ReturnType<typeof desiredOf> {
  try {
    return desiredOf(work);
  } catch {
    return null;
  }
}

export function desiredScheduler(options: DesiredSchedulerOptions): NodeScheduler<DesiredWork> {
  const { config, resources, audit, status, logger, metrics } = options;
  const handle = async (nodeId: string, work: DesiredWork, nodeSignal: AbortSignal) => {
    const value = desiredOf(work);
    // A new row version (a record) starts; drift re-applies and the start-up clean-up are no new version.
    if (value !== null && work.record !== undefined) status?.started(nodeId, value);
    const changes =
      value === null
        ? await resources.delete(nodeId)
        : await resources.apply(value, { verify: work.verify, signal: nodeSignal });
    // What was done before a failure happened too: it is reported either way.
    // The status of a failure is written by onFailure, which knows whether it is retried.
    await Promise.all([
      audit.publish(changes.events),
      changes.failure === undefined
        ? status?.handled(nodeId, value, changes.events, work.record === undefined)
        : undefined,
    ]);
    metrics?.sinkAudited(changes.events);
    if (changes.failure !== undefined) throw changes.failure;
  };
  return new NodeScheduler<DesiredWork>({
    // Every request of the node's handling queues in its lane (request-lane.ts).
    handle: (work, nodeSignal) =>
      inLane(work.lane ?? 'bulk', () => handle(work.nodeId, work.payload, nodeSignal)),
    retriable: (error) => !isFinal(error),
    onFailure: (work, error, retryInMs) => {
      const message = error instanceof Error ? error.message : String(error);
      const log = { node: work.nodeId, err: error, retryInMs };
      if (retryInMs === undefined) logger.error(log, 'node failed');
      else logger.warn(log, 'node failed; retrying');
      const reason = retryInMs === undefined ? message : `${message}; retrying in ${retryInMs} ms`;
      const errorCode = (error as { code?: string }).code ?? null;
      const decoded = decodedOrNull(work.payload);
      const failed = resources.failed(work.nodeId, decoded, { reason, errorCode });
      status
        ?.failed(
          work.nodeId,
          decoded,
          { code: errorCode ?? ErrorCode.KUBERNETES, message: reason },
          retryInMs === undefined,
        )
        .catch((failure) => logger.warn({ err: failure, node: work.nodeId }, 'node status lost'));
      audit
        .publish(failed.events)
        .then(() => metrics?.sinkAudited(failed.events))
        .catch((failure) => logger.warn({ err: failure }, 'audit event lost'));
    },
    onFinished: (work, outcome) => {
      const { record } = work.payload;
      if (record !== undefined && outcome !== 'stopped') options.onHandled(record);
    },
    ...(options.onIdle ? { onIdle: options.onIdle } : {}),
    ...(options.maxStarted !== undefined ? { maxStarted: options.maxStarted } : {}),
    retryInitialMs: config.kubernetes.retry.initialSeconds * 1_000,
    retryMaxMs: config.kubernetes.retry.maxSeconds * 1_000,
    beforeRetry: (error, nodeSignal) => resources.beforeRetry(error, nodeSignal),
    signal: options.signal,
  });
}
