import type { Kafka } from 'kafkajs';
import { canonicalJson, schemaHistoryTopic } from '../contracts/index.js';
import type { SchemaVersion, SourcePosition, TableSchema } from '../core/change-event.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { readTopic } from './topic-reader.js';

// The schema history lives in `<prefix>._schema_history`, a compacted topic:
// one record per table definition and the source position from which it is in
// force (ChangeSink.recordSchema). The key names source, table and position,
// so compaction keeps every version and only drops a record written twice (the
// same transaction read again after a crash). JSON, like `_offsets`: each
// connector has its own position shape, and the value is read back by
// capture and by people debugging a restart. A record is written in the same
// Kafka transaction as the position it belongs to, so the history never runs
// ahead of or behind the stored position.

export interface HistoryRecord {
  key: string;
  value: string;
}

export function schemaHistoryRecord(version: SchemaVersion): HistoryRecord {
  const { table, position } = version;
  const key = canonicalJson({
    source: table.source,
    database: table.database,
    schema: table.schema ?? null,
    table: table.table,
    position,
  });
  return { key, value: JSON.stringify({ position, table }) };
}

/** A stored value back into a SchemaVersion; throws a non-retriable KAFKA error naming the record. */
export function parseSchemaHistoryValue(key: string, value: Buffer): SchemaVersion {
  const what = `the schema history record ${key}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new RowkubeError(ErrorCode.KAFKA, `${what} is not JSON`, false, { cause: error });
  }
  const record = parsed as { position?: unknown; table?: Partial<TableSchema> } | null;
  const table = record?.table;
  if (
    record === null ||
    typeof record !== 'object' ||
    typeof record.position !== 'object' ||
    record.position === null ||
    typeof table !== 'object' ||
    table === null ||
    typeof table.source !== 'string' ||
    typeof table.table !== 'string' ||
    !Array.isArray(table.columns) ||
    !Array.isArray(table.primaryKey)
  ) {
    throw new RowkubeError(
      ErrorCode.KAFKA,
      `${what} is not {position, table: {source, database, table, columns, primaryKey}}`,
    );
  }
  return { position: record.position as SourcePosition, table: table as TableSchema };
}

export interface ReadSchemaHistoryOptions {
  kafka: Kafka;
  prefix: string;
  /** The source whose history to read. */
  source: string;
  timeoutMs?: number;
}

/**
 * The committed schema history of one source, in the order it was recorded
 * (read_committed, earliest to the end as of now): what a transaction aborted
 * or left open never shows. Empty when the topic does not exist yet.
 */
export async function readSchemaHistory(options: ReadSchemaHistoryOptions): Promise<SchemaVersion[]> {
  const byKey = new Map<string, SchemaVersion>();
  await readTopic({
    kafka: options.kafka,
    topic: schemaHistoryTopic(options.prefix),
    fromBeginning: true,
    follow: false,
    allowMissing: true,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    onRecord: ({ key, value }) => {
      if (key === null) return;
      const text = key.toString('utf8');
      if (value === null) {
        byKey.delete(text);
        return;
      }
      const version = parseSchemaHistoryValue(text, value);
      if (version.table.source === options.source) byKey.set(text, version);
    },
  });
  return [...byKey.values()];
}
