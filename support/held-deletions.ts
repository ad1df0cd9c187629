import type { Kafka } from 'kafkajs';
import type { TailRecord } from '../src/kafka/index.js';
import { readDesired } from './desired-records.js';
import { waitFor } from './wait-for.js';

// The mass-deletion guard as its tests see it: what `<prefix>.desired` holds
// per node now, and tenant rows in bulk.

/** Node id → its latest desired record: true when live, false for a tombstone. */
export function liveByNode(records: readonly TailRecord[]): Map<string, boolean> {
  const live = new Map<string, boolean>();
  for (const record of records) live.set(String(record.key), record.value !== null);
  return live;
}

/** The ids of the live nodes in the prefix's desired topic. */
export async function liveNodes(kafka: Kafka, prefix: string): Promise<Set<string>> {
  const live = new Set<string>();
  for (const [id, isLive] of liveByNode(await readDesired(kafka, prefix))) if (isLive) live.add(id);
  return live;
}

/** Waits until the live nodes satisfy `check`; returns them. */
export async function waitForLiveNodes(
  kafka: Kafka,
  prefix: string,
  what: string,
  check: (live: Set<string>) => boolean,
  abandon?: Promise<unknown>,
): Promise<Set<string>> {
  return waitFor(
    what,
    async () => {
      const live = await liveNodes(kafka, prefix).catch(() => undefined);
      return live !== undefined && check(live) ? live : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, ...(abandon ? { abandon } : {}) },
  );
}

/** Tenant ids t001…tNNN. */
export function tenantIds(from: number, to: number): string[] {
  const ids: string[] = [];
  for (let n = from; n <= to; n++) ids.push(`t${String(n).padStart(3, '0')}`);
  return ids;
}

/** `VALUES (...), (...)` text for tenant rows (id, plan, active): the same SQL on both databases. */
export function tenantValues(ids: readonly string[], plan = 'gold'): string {
  return ids.map((id) => `('${id}', '${plan}', TRUE)`).join(', ');
}
