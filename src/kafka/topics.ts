import type { Admin, ITopicConfig } from 'kafkajs';
import type { TableSchema } from '../core/change-event.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { tableLabel } from './table-label.js';

// Topic names and creation. Names are `<prefix>.<...>`; the table of DESIGN.md
// lists what each topic holds.
//
// Change topics are `<prefix>.<source>.<table>`. A PostgreSQL table outside the
// "public" schema gets `<prefix>.<source>.<schema>.<table>`: the common case
// keeps the name users write in their config (`table: tenants`), and two
// schemas can still hold a table of the same name. Since '.' separates the
// parts, a source, schema or table name containing '.' is refused — otherwise
// `public."a.b"` and `a.b` would share one topic.

export type TopicKind = 'change' | 'schemas' | 'offsets' | 'desired' | 'audit';

/** Kafka's rule (kafka.common.internals.Topic): legal characters and at most 249 of them. */
const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

export function schemasTopic(prefix: string): string {
  return checkedName(`${prefix}._schemas`, `the schema topic of prefix '${prefix}'`);
}
export function offsetsTopic(prefix: string): string {
  return checkedName(`${prefix}._offsets`, `the offsets topic of prefix '${prefix}'`);
}
export function desiredTopic(prefix: string): string {
  return checkedName(`${prefix}.desired`, `the desired-state topic of prefix '${prefix}'`);
}
export function auditTopic(prefix: string): string {
  return checkedName(`${prefix}.audit`, `the audit topic of prefix '${prefix}'`);
}

/** The change topic of a table; throws a CONFIG error naming the table when Kafka would refuse the name. */
export function changeTopic(
  prefix: string,
  table: Pick<TableSchema, 'source' | 'database' | 'schema' | 'table'>,
): string {
  const what = `table ${tableLabel(table)}`;
  const parts: [string, string][] = [['source', table.source]];
  if (table.schema !== undefined && table.schema !== 'public') parts.push(['schema', table.schema]);
  parts.push(['table', table.table]);
  for (const [role, part] of parts) {
    if (part.includes('.')) {
      throw new RowkubeError(
        ErrorCode.CONFIG,
        `${what}: the ${role} name '${part}' contains '.', which separates the parts of topic names; ` +
          'rowkube cannot capture it under that name',
      );
    }
  }
  return checkedName([prefix, ...parts.map(([, part]) => part)].join('.'), what);
}

/** Why Kafka would refuse `name`, or undefined when it is a legal topic name. */
export function topicNameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return `'${name}' is not a topic name`;
  if (name.length > MAX_TOPIC_NAME_LENGTH)
    return `'${name.slice(0, 40)}…' has ${name.length} characters; Kafka allows at most ${MAX_TOPIC_NAME_LENGTH}`;
  if (!LEGAL.test(name)) {
    const bad = [...new Set([...name].filter((c) => !/[a-zA-Z0-9._-]/.test(c)))];
    return `'${name}' contains ${bad.map((c) => JSON.stringify(c)).join(', ')}; Kafka topic names allow only ASCII letters, digits, '.', '_' and '-'`;
  }
  return undefined;
}

function checkedName(name: string, what: string): string {
  const problem = topicNameProblem(name);
  if (problem !== undefined) throw new RowkubeError(ErrorCode.CONFIG, `${what}: topic name ${problem}`);
  return name;
}

export interface TopicSpec {
  name: string;
  kind: TopicKind;
  /** Default 1. The schema and offsets topics always have 1: they are read whole, in order. */
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
};

/** The part of the kafkajs admin client that ensureTopics needs. */
export type TopicAdmin = Pick<Admin, 'listTopics' | 'createTopics'>;

/**
 * Creates the topics of `specs` that do not exist yet, with the cleanup policy
 * of their kind; existing topics are left as they are (their configuration is
 * the operator's). Safe when another process creates the same topic at the
 * same time. Returns the names it created.
 */
export async function ensureTopics(admin: TopicAdmin, specs: readonly TopicSpec[]): Promise<string[]> {
  for (const spec of specs) checkedName(spec.name, `topic '${spec.name}'`);
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.kind === 'schemas' || s.kind === 'offsets' ? 1 : (s.partitions ?? 1),
        replicationFactor: s.replicationFactor ?? 1,
        configEntries: CONFIG_OF_KIND[s.kind],
      })),
    });
  } catch (error) {
    throw new RowkubeError(
      ErrorCode.KAFKA,
      `creating topics ${missing.map((s) => s.name).join(', ')} failed: ${(error as Error).message}`,
      true,
      { cause: error },
    );
  }
  return missing.map((s) => s.name);
}
