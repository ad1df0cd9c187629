import type { TableSchema } from '../core/change-event.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { tableLabel } from './table-label.js';

// Topic names. Names are `<prefix>.<...>`; the table of DESIGN.md lists what
// each topic holds, src/kafka/topics.ts creates them.
//
// Change topics are `<prefix>.<source>.<table>`. A PostgreSQL table outside the
// "public" schema gets `<prefix>.<source>.<schema>.<table>`: the common case
// keeps the name users write in their config (`table: tenants`), and two
// schemas can still hold a table of the same name. Since '.' separates the
// parts, a source, schema or table name containing '.' is refused — otherwise
// `public."a.b"` and `a.b` would share one topic.

/** Kafka's rule (kafka.common.internals.Topic): legal characters and at most 249 of them. */
const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

export function schemasTopic(prefix: string): string {
  return checkedTopicName(`${prefix}._schemas`, `the schema topic of prefix '${prefix}'`);
}
export function offsetsTopic(prefix: string): string {
  return checkedTopicName(`${prefix}._offsets`, `the offsets topic of prefix '${prefix}'`);
}
/** Every captured table's definitions, each with the source position from which it is in force. */
export function schemaHistoryTopic(prefix: string): string {
  return checkedTopicName(`${prefix}._schema_history`, `the schema history topic of prefix '${prefix}'`);
}
/** Requests to the processor (`rowkube release`) and the deletions it holds (docs/processor.md). */
export function controlTopic(prefix: string): string {
  return checkedTopicName(`${prefix}._control`, `the control topic of prefix '${prefix}'`);
}
export function desiredTopic(prefix: string): string {
  return checkedTopicName(`${prefix}.desired`, `the desired-state topic of prefix '${prefix}'`);
}
export function auditTopic(prefix: string): string {
  return checkedTopicName(`${prefix}.audit`, `the audit topic of prefix '${prefix}'`);
}

/** Every node's state on the cluster, keyed by node id (compacted; src/contracts/node-status.ts). */
export function statusTopic(prefix: string): string {
  return checkedTopicName(`${prefix}.status`, `the status topic of prefix '${prefix}'`);
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
  return checkedTopicName([prefix, ...parts.map(([, part]) => part)].join('.'), what);
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

/** The name, or a CONFIG error naming `what` when Kafka would refuse it. */
export function checkedTopicName(name: string, what: string): string {
  const problem = topicNameProblem(name);
  if (problem !== undefined) throw new RowkubeError(ErrorCode.CONFIG, `${what}: topic name ${problem}`);
  return name;
}
