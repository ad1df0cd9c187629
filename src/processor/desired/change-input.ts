import type { HubConfig } from '../../core/config/hub-schema.js';
import {
  type ChangeEnvelope,
  changeTopic,
  decodeNative,
  type RawRecord,
  type SchemaResolver,
  toJsonValue,
} from '../../kafka/index.js';
import { canonicalJson } from '../canonical-json.js';
import type { TableChange } from '../materializer/index.js';
import type { Provenance } from './desired-message.js';

// The processor's inputs: the change topics of every hub table and lookup
// table, and how one of their records becomes a TableChange (+ provenance).

/** A change topic the processor reads, with the source and table (as configured) it carries. */
export interface InputTopic {
  topic: string;
  source: string;
  table: string;
  /** Some hub's own table: partitioned across processor instances. */
  hub: boolean;
  /** Some hub's lookup table: read whole by every instance. */
  lookup: boolean;
}

/** One topic per (source, table) that a hub or one of its lookups names. */
export function inputTopics(prefix: string, hubs: readonly HubConfig[]): InputTopic[] {
  const byTopic = new Map<string, InputTopic>();
  for (const hub of hubs) {
    const tables = [
      { table: hub.table, role: 'hub' as const },
      ...hub.lookups.map((lookup) => ({ table: lookup.table, role: 'lookup' as const })),
    ];
    for (const { table, role } of tables) {
      // A qualified name is PostgreSQL's schema.table (topics.ts drops "public").
      const dot = table.indexOf('.');
      const parts =
        dot < 0
          ? { source: hub.source, table }
          : { source: hub.source, schema: table.slice(0, dot), table: table.slice(dot + 1) };
      const topic = changeTopic(prefix, { ...parts, database: '' });
      const input = byTopic.get(topic) ?? { topic, source: hub.source, table, hub: false, lookup: false };
      input[role] = true;
      byTopic.set(topic, input);
    }
  }
  return [...byTopic.values()];
}

export interface DecodedChange {
  change: TableChange;
  provenance: Provenance;
}

/** A change-topic record as the materializer takes it; the key text is the decoded key as canonical JSON. */
export async function decodeChange(
  input: InputTopic,
  record: RawRecord,
  resolver: SchemaResolver,
): Promise<DecodedChange> {
  const { key, value } = await decodeNative(record, resolver);
  const primaryKey = canonicalJson(toJsonValue(key));
  if (value === null) {
    return {
      change: { source: input.source, table: input.table, key: primaryKey, tombstone: true },
      provenance: { source: input.source, table: input.table, position: null, commitTsMs: null, primaryKey },
    };
  }
  const envelope = value as ChangeEnvelope;
  const { file, pos, gtid, lsn, txId } = envelope.source;
  const position: Record<string, unknown> = {};
  for (const [name, part] of Object.entries({ file, pos, gtid, lsn, txId }))
    if (part !== null && part !== undefined) position[name] = toJsonValue(part);
  return {
    change: {
      source: input.source,
      table: input.table,
      key: primaryKey,
      op: envelope.op,
      before: envelope.before,
      after: envelope.after,
      unchanged: envelope.unchanged ?? [],
    },
    provenance: {
      source: input.source,
      table: input.table,
      position: canonicalJson(position),
      commitTsMs: envelope.source.ts_ms,
      primaryKey,
    },
  };
}
