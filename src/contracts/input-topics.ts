import type { HubConfig } from '../core/config/hub-schema.js';
import { changeTopic } from './topic-names.js';

// The processor's inputs: the change topics of every hub table and lookup
// table. The processor subscribes to them; observability watches the lag of
// the hub ones.

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
