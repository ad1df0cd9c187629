import { type Kafka, readCompactedTopic, type SchemaResolver } from '../../kafka/index.js';
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
  const desired = await readCompactedTopic<{ contentHash: string }>({
    kafka,
    topic,
    resolver,
    signal,
    allowMissing: true,
  });
  const hashes = new Map<string, string>();
  // A tombstone still counts: a node known to be absent needs no second one.
  for (const id of desired.deleted) hashes.set(id, absentHash(id));
  for (const [id, value] of desired.latest) hashes.set(id, value.contentHash);
  return hashes;
}
