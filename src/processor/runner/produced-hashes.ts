import type { Kafka } from 'kafkajs';
import { readTopic, type SchemaResolver } from '../../kafka/index.js';
import { decodeNative } from '../../kafka/record-decoder.js';
import { absentHash } from '../materializer/index.js';

// What `<prefix>.desired` holds per node, as content hashes: a processor that
// takes over a share of the hubs compares what it renders with this and
// produces only the difference. The topic is compacted, so reading it whole
// costs one record per node (plus what the cleaner has not reached yet).

/** Node id → contentHash of its last record (absentHash for a tombstone). */
export async function readProducedHashes(
  kafka: Kafka,
  topic: string,
  resolver: SchemaResolver,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  await readTopic({
    kafka,
    topic,
    fromBeginning: true,
    follow: false,
    allowMissing: true,
    signal,
    onRecord: async (record) => {
      const { key, value } = await decodeNative(record, resolver);
      const id = String(key);
      const hash = value === null ? absentHash(id) : (value as { contentHash: string }).contentHash;
      hashes.set(id, hash);
    },
  });
  return hashes;
}
