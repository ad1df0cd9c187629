import type { Kafka } from 'kafkajs';
import { type PackedValue, packValue } from './packed-value.js';
import { decodeNative } from './record-decoder.js';
import type { SchemaResolver } from './schema-registry.js';
import { readTopic, type TopicRecord } from './topic-reader.js';

// A compacted topic (`<prefix>.desired`) holds the state of every key: its
// last record, or a tombstone when the key went away. Reading it from earliest
// up to its end as it was when reading started gives that state as of now;
// what the cleaner has not compacted yet only costs more records, since a
// later record of a key replaces an earlier one. The processor (what it
// produced), the sink (what to apply and keep applied) and replay (what to
// rebuild) all start from this read.

/** One record of a compacted topic, decoded. */
export interface CompactedEntry<V> {
  /** The record key as text (a node id). */
  key: string;
  /** The decoded value; null for a tombstone. */
  value: V | null;
  /** The Kafka record timestamp, ms since the epoch. */
  timestampMs: number;
  /** The partition the record is in (the sink corrects drift only for its own partitions). */
  partition?: number;
}

/** The last record of every key, as records are offered in offset order. Plain data: no Kafka here. */
export class LatestByKey<V> {
  /** Key → its last value. A key whose last record is a tombstone is not here. */
  readonly latest = new Map<string, V>();
  /** Keys whose last record is a tombstone the cleaner has not removed yet: known to be gone. */
  readonly deleted = new Set<string>();
  /** Records offered. */
  records = 0;

  offer(entry: CompactedEntry<V>): void {
    this.records += 1;
    if (entry.value === null) {
      this.latest.delete(entry.key);
      this.deleted.add(entry.key);
    } else {
      this.deleted.delete(entry.key);
      this.latest.set(entry.key, entry.value);
    }
  }

  /** Keys with a record at all: live or deleted. Zero means the topic was empty. */
  get keys(): number {
    return this.latest.size + this.deleted.size;
  }
}

export interface ReadCompactedTopicOptions {
  kafka: Kafka;
  topic: string;
  /** Decodes keys and values that name their writer schema. */
  resolver: SchemaResolver;
  /** Stops reading (resolves, does not throw) when aborted. */
  signal?: AbortSignal;
  /** When the topic does not exist: read nothing (true) or throw (false, default). */
  allowMissing?: boolean;
  /** Read only these partitions (default all): the sink reads a partition it took over. */
  partitions?: readonly number[];
  /** Start these partitions at this offset (where an earlier read ended) rather than at their beginning. */
  from?: ReadonlyMap<number, bigint>;
  /** Called with where the read ends, per partition: a later read may go on from there. */
  onEnds?: (ends: ReadonlyMap<number, bigint>) => void;
}

/**
 * Reads the topic from earliest to its end as of now, read_committed, and
 * hands every decoded record to `offer`, in offset order per partition. A
 * caller that picks another state than the last per key (replay as of a
 * time) folds the records itself.
 */
export async function foldCompactedTopic<V>(
  options: ReadCompactedTopicOptions,
  offer: (entry: CompactedEntry<V>) => void,
): Promise<void> {
  await foldRecords(
    options,
    async (record) => {
      const { key, value } = await decodeNative(record, options.resolver);
      return { key, value: value as V | null };
    },
    offer,
  );
}

/**
 * As foldCompactedTopic, but each value is handed on packed (its bytes and
 * codec, packed-value.ts), not decoded: for a reader that keeps every key's
 * value and reads few of them again.
 */
export async function foldPackedTopic(
  options: ReadCompactedTopicOptions,
  offer: (entry: CompactedEntry<PackedValue>) => void,
): Promise<void> {
  await foldRecords(
    options,
    async (record) => {
      const { key } = await decodeNative({ ...record, value: null }, options.resolver);
      return { key, value: await packValue(record, options.resolver) };
    },
    offer,
  );
}

/** The read both folds share: earliest to the end as of now, read_committed, each record turned into an entry. */
async function foldRecords<V>(
  options: ReadCompactedTopicOptions,
  entryOf: (record: TopicRecord) => Promise<{ key: unknown; value: V | null }>,
  offer: (entry: CompactedEntry<V>) => void,
): Promise<void> {
  await readTopic({
    kafka: options.kafka,
    topic: options.topic,
    fromBeginning: true,
    follow: false,
    isolation: 'read_committed',
    allowMissing: options.allowMissing ?? false,
    partitions: options.partitions,
    from: options.from,
    onEnds: options.onEnds,
    signal: options.signal,
    onRecord: async (record) => {
      const { key, value } = await entryOf(record);
      offer({ key: String(key), value, timestampMs: Number(record.timestamp), partition: record.partition });
    },
  });
}

/** The last value of every key of the topic, as of now. */
export async function readCompactedTopic<V>(options: ReadCompactedTopicOptions): Promise<LatestByKey<V>> {
  const state = new LatestByKey<V>();
  await foldCompactedTopic<V>(options, (entry) => state.offer(entry));
  return state;
}
