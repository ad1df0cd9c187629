import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { type Pipeline, startPipeline } from '../../src/app/start-pipeline.js';
import { changeTopic } from '../../src/contracts/index.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import { waitFor } from '../../support/wait-for.js';
import { CaptureProgress } from './capture-progress.js';
import type { TenantDatabase } from './tenant-database.js';
import { flagRows } from './tenant-rows.js';
import type { OffsetLimits } from './transform-floor.js';

// The processor's input, made the way production makes it: tenant and flag
// rows committed to MariaDB and streamed into their change topics by the real
// capture, run in this process as `rowkube capture` runs it. Capture keeps
// running afterwards, for the latency phases' updates.

export interface TenantBacklog {
  capture: Pipeline;
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
  /** The bench's configuration: its source captures both tables. */
  config: RowkubeConfig;
  logger: Logger;
  tenants: number;
  flaggedEvery: number;
  /** Called with the capture as soon as it runs, so that an interrupt can stop it. */
  onCapture: (capture: Pipeline) => void;
}

/** Tenants per transaction: an application creating tenants in bulk. */
const TX_TENANTS = 100;
const SNAPSHOT_TIMEOUT_MS = 60_000;
const CAPTURE_TIMEOUT_MS = 120_000;
const POLL_MS = 20;

export async function writeTenantBacklog(options: BacklogOptions): Promise<TenantBacklog> {
  const { db, kafka, config, tenants, flaggedEvery } = options;
  const prefix = config.kafka.topicPrefix;
  const source = config.sources[0]?.name ?? '';
  const progress = new CaptureProgress();
  const capture = startPipeline(config, { stages: ['capture'], logger: options.logger, metrics: progress });
  options.onCapture(capture);
  const polling = { intervalMs: POLL_MS, abandon: capture.failed };
  // Streaming ends the snapshot of the (empty) tables: rows written from now
  // on are streamed from the binlog, exactly once.
  await waitFor('the first snapshot', () => (progress.streaming ? true : undefined), {
    ...polling,
    timeoutMs: SNAPSHOT_TIMEOUT_MS,
  });

  let changes = 0;
  const writeStart = performance.now();
  for (let id = 1; id <= tenants; id += TX_TENANTS) {
    const count = Math.min(TX_TENANTS, tenants - id + 1);
    await db.insertBatch(id, count);
    for (let i = id; i < id + count; i++) changes += 1 + flagRows(i, flaggedEvery).length;
  }
  const writtenAt = performance.now();
  await waitFor(
    `capture of the backlog's ${changes} changes`,
    () => (progress.committedEvents >= changes ? true : undefined),
    { ...polling, timeoutMs: CAPTURE_TIMEOUT_MS },
  );
  const captureLagMs = (progress.lastCommitAt ?? performance.now()) - writtenAt;

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
