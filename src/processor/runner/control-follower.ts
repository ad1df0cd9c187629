import { decodeControl, releaseKey } from '../../contracts/index.js';
import { type Kafka, readTopic } from '../../kafka/index.js';
import type { ControlEntry } from './deletion-hold.js';

// `<prefix>._control` (src/contracts/control-record.ts) as the processor reads
// it: whole at every take-over (the held removals to restore, releases asked
// for while it was down), and followed while it runs (releases asked for now).

function entryOf(record: { key: Buffer | null; value: Buffer | null; offset: string }): ControlEntry {
  return {
    key: record.key?.toString('utf8') ?? '',
    value: record.value === null ? null : record.value.toString('utf8'),
    offset: BigInt(record.offset),
  };
}

/** Every record of the control topic up to its end as of now, in offset order (none if it does not exist). */
export async function readControl(kafka: Kafka, topic: string, signal: AbortSignal): Promise<ControlEntry[]> {
  const entries: ControlEntry[] = [];
  await readTopic({
    kafka,
    topic,
    fromBeginning: true,
    follow: false,
    allowMissing: true,
    signal,
    onRecord: (record) => {
      entries.push(entryOf(record));
    },
  });
  return entries;
}

/** Follows the control topic from its beginning until the signal aborts; rejects when reading fails. */
export function followControl(options: {
  kafka: Kafka;
  topic: string;
  signal: AbortSignal;
  /** Called in offset order; the next record waits for it. */
  onEntry: (entry: ControlEntry) => Promise<void>;
}): Promise<void> {
  const { kafka, topic, signal, onEntry } = options;
  return readTopic({
    kafka,
    topic,
    fromBeginning: true,
    follow: true,
    signal,
    onRecord: (record) => onEntry(entryOf(record)),
  });
}

/** A hub's held removals that no release covers yet: node ids and the source transactions that removed them. */
export interface PendingHolds {
  nodes: string[];
  txs: string[];
}

/**
 * What the control records say is held for the hub (pure: over entries in
 * offset order). `released: 'exclude'` leaves out holds a release request
 * already covers (the processor has yet to carry it out); 'include' lists
 * every held record still there.
 */
export function pendingHolds(
  entries: readonly ControlEntry[],
  hub: string,
  released: 'exclude' | 'include' = 'exclude',
): PendingHolds {
  const latest = new Map<string, ControlEntry>();
  for (const entry of entries) latest.set(entry.key, entry);
  const release = latest.get(releaseKey(hub));
  const releasedBelow = released === 'include' || release?.value == null ? -1n : release.offset;
  const nodes: string[] = [];
  const txs = new Set<string>();
  for (const entry of latest.values()) {
    if (entry.value === null || entry.offset < releasedBelow) continue;
    const record = decodeControl(entry.key, entry.value);
    if (record.kind !== 'held' || record.hub !== hub) continue;
    nodes.push(record.node);
    txs.add(record.tx);
  }
  return { nodes: nodes.sort(), txs: [...txs] };
}
