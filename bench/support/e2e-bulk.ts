import type { AuditFollower } from '../../support/audit-follower.js';
import { OBJECTS_PER_TENANT } from './bench-config.js';
import type { E2eDatabase } from './e2e-database.js';
import { round2 } from './report.js';
import { type CpuFigures, startCpuMeter, type WatchedPids } from './sink-cpu.js';

// The bulk phase: many tenants committed at once, as an import or a
// migration commits them, with `rowkube run` already running. The clock runs
// from the first COMMIT returned to the last object's first in-place audit
// event, so it covers capture, the processor and the sink alike.

/** Tenants per bulk transaction: a few large transactions. */
export const BULK_TX_TENANTS = 2_500;

export interface BulkFigures {
  tenants: number;
  objects: number;
  transactions: number;
  /** First COMMIT returned → the last object in place (its audit event's appliedAtMs). */
  seconds: number;
  objectsPerSec: number;
  /** First COMMIT returned → last COMMIT returned: the writer's share of the time. */
  commitSeconds: number;
  cpu: CpuFigures;
}

export interface BulkOptions {
  database: E2eDatabase;
  audit: AuditFollower;
  /** Tenants 1 … tenants are inserted. */
  tenants: number;
  /** Objects already in place before the bulk (the warm-up's). */
  objectsBefore: number;
  /** No audit event for this long means the pipeline is stuck. */
  stallMs: number;
  /** Rejects when a stage of the pipeline fails. */
  pipelineFailed: Promise<unknown>;
  say: (line: string) => void;
  /** Processes whose CPU the figures include besides this one's (bench:scale-out's replicas). */
  cpuOf?: WatchedPids;
}

export async function runBulk(options: BulkOptions): Promise<BulkFigures> {
  const { database, audit, tenants, say } = options;
  const objects = tenants * OBJECTS_PER_TENANT;
  const stopCpu = startCpuMeter(options.cpuOf);
  const inserted = await database.insertTenants(1, tenants, BULK_TX_TENANTS);
  const commitSeconds = round2((inserted.lastCommitAtMs - inserted.firstCommitAtMs) / 1000);
  say(`bulk: ${tenants} tenants committed in ${inserted.transactions} transactions in ${commitSeconds} s`);
  await audit.waitFor(
    `${objects} objects of the bulk in place`,
    () => audit.objectsInPlace >= options.objectsBefore + objects,
    { stallMs: options.stallMs, abandon: options.pipelineFailed },
  );
  const seconds = (audit.lastInPlaceAtMs - inserted.firstCommitAtMs) / 1000;
  return {
    tenants,
    objects,
    transactions: inserted.transactions,
    seconds: round2(seconds),
    objectsPerSec: Math.round(objects / seconds),
    commitSeconds,
    cpu: stopCpu(),
  };
}
