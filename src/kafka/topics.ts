import type { Admin, ITopicConfig } from 'kafkajs';
import { checkedTopicName } from '../contracts/topic-names.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { kafkaSecurityFailure } from './kafka-errors.js';

// Topic creation, with the cleanup policy of each kind. The names are in
// src/contracts/topic-names.ts; the table of DESIGN.md lists what each topic
// holds.

export type TopicKind =
  | 'change'
  | 'schemas'
  | 'offsets'
  | 'history'
  | 'desired'
  | 'audit'
  | 'status'
  | 'control';

export interface TopicSpec {
  name: string;
  kind: TopicKind;
  /** Default 1. The schema, offsets, schema history and control topics always have 1: they are read whole, in order. */
  partitions?: number;
  /** Default 1 (the local stack has one broker); production clusters want 3. */
  replicationFactor?: number;
}

/** How long every version of a node's desired state is kept (replay --at): one day. */
export const DESIRED_HISTORY_MS = 24 * 60 * 60_000;

/** Per kind: compacted topics keep the latest record per key, so a replay from earliest gives current state. */
const CONFIG_OF_KIND: Record<TopicKind, ITopicConfig['configEntries']> = {
  change: [{ name: 'cleanup.policy', value: 'compact' }],
  schemas: [{ name: 'cleanup.policy', value: 'compact' }],
  // One record per Kafka transaction is written here, and a connector reads
  // the whole topic when it starts: short segments let the cleaner compact it
  // to one record per connector soon (the active segment is never compacted).
  offsets: [
    { name: 'cleanup.policy', value: 'compact' },
    { name: 'segment.ms', value: String(10 * 60_000) },
    { name: 'min.cleanable.dirty.ratio', value: '0.1' },
  ],
  // One record per table definition and position: compaction keeps them all
  // (the keys differ) and only drops a record written twice.
  history: [{ name: 'cleanup.policy', value: 'compact' }],
  // `rowkube replay --at` rebuilds a cluster as of a past time from the
  // versions this topic still holds; the cleaner never compacts records younger
  // than min.compaction.lag.ms, so every version of the last day is kept.
  // Longer windows cost the sink's start-up, which reads the whole topic:
  // operators change it per topic (docs/replay.md).
  desired: [
    { name: 'cleanup.policy', value: 'compact' },
    { name: 'min.compaction.lag.ms', value: String(DESIRED_HISTORY_MS) },
  ],
  audit: [{ name: 'cleanup.policy', value: 'delete' }],
  // Every node's latest status (docs/status.md): a reader folds the topic at
  // start, so the cleaner should keep it near one record per node; the sink
  // writes many versions of a busy node, hence a lower dirty ratio.
  status: [
    { name: 'cleanup.policy', value: 'compact' },
    { name: 'min.cleanable.dirty.ratio', value: '0.2' },
  ],
  // Held deletions and release requests (src/contracts/control-record.ts): the
  // latest record per key is the state, and offsets order releases after holds.
  control: [{ name: 'cleanup.policy', value: 'compact' }],
};

/** Topics read whole and in order at every start: one partition. */
const READ_WHOLE: ReadonlySet<TopicKind> = new Set(['schemas', 'offsets', 'history', 'control']);

/** The part of the kafkajs admin client that ensureTopics needs. */
export type TopicAdmin = Pick<Admin, 'listTopics' | 'createTopics'>;

/**
 * Creates the topics of `specs` that do not exist yet, with the cleanup policy
 * of their kind; existing topics are left as they are (their configuration is
 * the operator's). Safe when another process creates the same topic at the
 * same time. Returns the names it created.
 */
export async function ensureTopics(admin: TopicAdmin, specs: readonly TopicSpec[]): Promise<string[]> {
  for (const spec of specs) checkedTopicName(spec.name, `topic '${spec.name}'`);
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: READ_WHOLE.has(s.kind) ? 1 : (s.partitions ?? 1),
        replicationFactor: s.replicationFactor ?? 1,
        configEntries: CONFIG_OF_KIND[s.kind],
      })),
    });
  } catch (error) {
    const what = `creating topics ${missing.map((s) => s.name).join(', ')} failed`;
    // A missing ACL is no broker trouble: retrying cannot fix it.
    throw (
      kafkaSecurityFailure(what, error) ??
      new RowkubeError(ErrorCode.KAFKA, `${what}: ${(error as Error).message}`, true, { cause: error })
    );
  }
  return missing.map((s) => s.name);
}
