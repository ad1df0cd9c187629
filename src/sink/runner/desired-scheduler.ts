import type { Logger } from 'pino';
import type { RowkubeConfig } from '../../core/config/config-schema.js';
import type { PipelineMetrics } from '../../observability/pipeline-metrics.js';
import { applyNode, removeNode } from '../apply/apply-node.js';
import { isFinal } from '../apply/apply-resource.js';
import type { SinkContext } from '../apply/sink-context.js';
import type { AuditPublisher } from '../audit/audit-publisher.js';
import { type DesiredWork, nodeAuditFor } from './desired-work.js';
import { NodeScheduler } from './node-scheduler.js';

// The sink's core as one piece: each node's desired state is applied (or the
// node removed) by the scheduler, every action is published to the audit
// topic before the record counts as handled, and failures are logged and
// audited as they happen, retried or final.

export interface DesiredSchedulerOptions {
  config: RowkubeConfig;
  context: SinkContext;
  audit: AuditPublisher;
  logger: Logger;
  metrics?: PipelineMetrics | undefined;
  /** A desired-topic record is handled (applied, removed, failed for good, or superseded). */
  onHandled: (record: { partition: number; offset: bigint }) => void;
  /** Stops every node: work in progress ends as stopped, and its record is not handled. */
  signal: AbortSignal;
}

export function desiredScheduler(options: DesiredSchedulerOptions): NodeScheduler<DesiredWork> {
  const { config, context, audit, logger, metrics } = options;
  const handle = async (nodeId: string, work: DesiredWork, nodeSignal: AbortSignal) => {
    const { value } = work;
    const nodeAudit = nodeAuditFor(nodeId, value, config);
    try {
      if (value === null) await removeNode(context, nodeId, nodeAudit);
      else await applyNode(context, value, nodeAudit, { verify: work.verify, signal: nodeSignal });
    } finally {
      // What was done before a failure happened too: it is reported either way.
      await audit.publish(nodeAudit.events);
      metrics?.sinkAudited(nodeAudit.events);
    }
  };
  return new NodeScheduler<DesiredWork>({
    handle: (work, nodeSignal) => handle(work.nodeId, work.payload, nodeSignal),
    retriable: (error) => !isFinal(error),
    onFailure: (work, error, retryInMs) => {
      const message = error instanceof Error ? error.message : String(error);
      const log = { node: work.nodeId, err: error, retryInMs };
      if (retryInMs === undefined) logger.error(log, 'node failed');
      else logger.warn(log, 'node failed; retrying');
      const nodeAudit = nodeAuditFor(work.nodeId, work.payload.value, config);
      nodeAudit.record('failed', {
        reason: retryInMs === undefined ? message : `${message}; retrying in ${retryInMs} ms`,
        errorCode: (error as { code?: string }).code ?? null,
      });
      audit
        .publish(nodeAudit.events)
        .then(() => metrics?.sinkAudited(nodeAudit.events))
        .catch((failure) => logger.warn({ err: failure }, 'audit event lost'));
    },
    onFinished: (work, outcome) => {
      const { record } = work.payload;
      if (record !== undefined && outcome !== 'stopped') options.onHandled(record);
    },
    retryInitialMs: config.kubernetes.retry.initialSeconds * 1_000,
    retryMaxMs: config.kubernetes.retry.maxSeconds * 1_000,
    signal: options.signal,
  });
}
