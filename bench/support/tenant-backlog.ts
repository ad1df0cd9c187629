import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { changeTopic } from '../../src/contracts/index.js';
import { type CaptureRun, startCapture } from './capture-run.js';
import type { TenantDatabase } from './tenant-database.js';
import { flagRows } from './tenant-rows.js';
import type { OffsetLimits } from './transform-floor.js';

// The processor's input, made the way production makes it: tenant and flag
// rows committed to MariaDB and streamed into their change topics by the real
// capture (running in this process, as the capture bench runs it). Capture
// keeps running afterwards, for the latency phases' updates.

export interface TenantBacklog {
  capture: CaptureRun;
  tenantsTopic: string;
  flagsTopic: string;
  /** Change records the backlog made (tenants + flags). */
  changes: number;
  /** Where each input partition ended once the backlog was in: the floor transforms what is before. */
  limits: OffsetLimits;
  writerRowsPerSec: number;
  /** Last backlog COMMIT → capture committed the last change in Kafka. */
  captureLagMs: number;
}

export interface BacklogOptions {
  db: TenantDatabase;
  kafka: Kafka;
  prefix: string;
  source: string;
  logger: Logger;
  tenants: number;
  flaggedEvery: number;
  /** Called with the capture as soon as it runs, so that an interrupt can stop it. */
  onCapture: (capture: CaptureRun) => void;
}

/** Tenants per transaction: an application creating tenants in bulk. */
const TX_TENANTS = 100;
const SNAPSHOT_TIMEOUT_MS = 60_000;
const CAPTURE_TIMEOUT_MS = 120_000;

export async function writeTenantBacklog(options: BacklogOptions): Promise<TenantBacklog> {
  const { db, kafka, prefix, source, tenants, flaggedEvery } = options;
  const capture = await startCapture({ db, kafka, prefix, source, logger: options.logger });
  options.onCapture(capture);
  // The first commit ends the snapshot of the (empty) tables: rows written
  // from now on are streamed from the binlog, exactly once.
  await capture.until(() => capture.sink.commits > 0, SNAPSHOT_TIMEOUT_MS, 'the first snapshot');

  let changes = 0;
  const writeStart = performance.now();
  for (let id = 1; id <= tenants; id += TX_TENANTS) {
    const count = Math.min(TX_TENANTS, tenants - id + 1);
    await db.insertBatch(id, count);
    for (let i = id; i < id + count; i++) changes += 1 + flagRows(i, flaggedEvery).length;
  }
  const writtenAt = performance.now();
  await capture.until(
    () => capture.sink.committedEvents >= changes,
    CAPTURE_TIMEOUT_MS,
    `capture of the backlog's ${changes} changes`,
  );
  const captureLagMs = (capture.sink.lastCommitAt ?? performance.now()) - writtenAt;

  const tenantsTopic = changeTopic(prefix, { source, database: '', table: db.table });
  const flagsTopic = changeTopic(prefix, { source, database: '', table: db.flagsTable });
  const admin = kafka.admin();
  const limits = new Map<string, Map<number, bigint>>();
  try {
    await admin.connect();
    for (const topic of [tenantsTopic, flagsTopic]) {
      const offsets = await admin.fetchTopicOffsets(topic);
      limits.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return {
    capture,
    tenantsTopic,
    flagsTopic,
    changes,
    limits,
    writerRowsPerSec: Math.round(tenants / ((writtenAt - writeStart) / 1000)),
    captureLagMs: Math.round(Math.max(0, captureLagMs)),
  };
}
