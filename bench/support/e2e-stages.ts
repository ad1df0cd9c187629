import { type DecodedAuditEvent, stageDurations } from '../../src/contracts/index.js';
import { type LatencySummary, summarize } from '../../support/percentiles.js';
import type { CommittedWrite } from './e2e-latency.js';

// Splits the steady phase's writer → applied time per write into the stages
// whose timestamps travel with the change (StageTimes in the audit event,
// src/contracts/audit-event.ts):
//   read     writer before the UPDATE → capture encoded the change (the
//            database's commit and delivery: binlog or WAL, driver decoding)
//   capture  writer → the processor received the change (read, then the
//            connector's queue, linger, the Kafka transaction, the fetch wait)
//   process  processor received → the sink received the desired record
//   apply    sink received → the object applied (queueing, the request)
// The writer's clock stands in for COMMIT: the binlog's commit time has whole
// seconds only. Percentiles are per stage: they do not add up to the total's.

export interface StageFigures {
  /** Writes whose event carried every stage timestamp. */
  count: number;
  readMs: LatencySummary;
  captureMs: LatencySummary;
  processMs: LatencySummary;
  applyMs: LatencySummary;
}

export function stageFigures(
  matched: readonly (CommittedWrite & { appliedAtMs: number })[],
  events: readonly DecodedAuditEvent[],
  resourceId: string,
): StageFigures {
  const byApplied = new Map<string, DecodedAuditEvent>();
  for (const event of events)
    if (event.action === 'configured' && event.resourceId === resourceId)
      byApplied.set(`${event.nodeId} ${event.appliedAtMs}`, event);
  const read: number[] = [];
  const capture: number[] = [];
  const process: number[] = [];
  const apply: number[] = [];
  for (const write of matched) {
    const event = byApplied.get(`${write.nodeId} ${write.appliedAtMs}`);
    const stages = event?.stages;
    if (event === undefined || stages === null || stages === undefined) continue;
    // The writer's clock for the commit: stageDurations would take the database's.
    const durations = stageDurations({
      ...event,
      provenance: { ...event.provenance, commitTsMs: BigInt(write.committedAtMs) },
    });
    if (durations.captureMs === null || durations.processMs === null || durations.applyMs === null) continue;
    if (stages.capturedAtMs !== null) read.push(Number(stages.capturedAtMs) - write.committedAtMs);
    capture.push(durations.captureMs);
    process.push(durations.processMs);
    apply.push(durations.applyMs);
  }
  return {
    count: capture.length,
    readMs: summarize(read),
    captureMs: summarize(capture),
    processMs: summarize(process),
    applyMs: summarize(apply),
  };
}
