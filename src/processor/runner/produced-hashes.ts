import { type Kafka, readCompactedTopic, type SchemaResolver } from '../../kafka/index.js';
import { absentHash } from '../materializer/index.js';

// What `<prefix>.desired` holds per node, as content hashes and form
// versions: a processor that takes over a share of the hubs compares what it
// renders with the hashes and produces only the difference; a form's
// rollout (form-rollouts.ts) learns from the versions which nodes already run
// the new definition. The topic is compacted, so reading it whole costs one
// record per node (plus what the cleaner has not reached yet).

export interface ProducedRecords {
  /** Node id → contentHash of its last record (absentHash for a tombstone). */
  hashes: Map<string, string>;
  /** Node id → formVersion of its last live record (null: written before versions existed). */
  versions: Map<string, string | null>;
}

export async function readProduced(
  kafka: Kafka,
  topic: string,
  resolver: SchemaResolver,
  signal: AbortSignal,
): Promise<ProducedRecords> {
  const desired = await readCompactedTopic<{ contentHash: string; formVersion?: string | null }>({
    kafka,
    topic,
    resolver,
    signal,
    allowMissing: true,
  });
  const hashes = new Map<string, string>();
  const versions = new Map<string, string | null>();
  // A tombstone still counts: a node known to be absent needs no second one.
  for (const id of desired.deleted) hashes.set(id, absentHash(id));
  for (const [id, value] of desired.latest) {
    hashes.set(id, value.contentHash);
    versions.set(id, value.formVersion ?? null);
  }
  return { hashes, versions };
}

/** Node id → contentHash of its last record (absentHash for a tombstone). */
export async function readProducedHashes(
  kafka: Kafka,
  topic: string,
  resolver: SchemaResolver,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  return (await readProduced(kafka, topic, resolver, signal)).hashes;
}
