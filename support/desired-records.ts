import type { Kafka } from 'kafkajs';
import { desiredTopic } from '../src/contracts/index.js';
import { type TailRecord, tailTopic } from '../src/kafka/index.js';

// Reading `<prefix>.desired` back in processor tests: every record, decoded
// read_committed through `<prefix>._schemas` as `rowkube tail` decodes it, so
// a test sees exactly what a consumer of the topic would.

/** A desired record's value as `tail` prints it (longs as strings); null is a tombstone. */
export interface DesiredJson {
  id: string;
  form: string;
  hub: string;
  uid: string;
  resources: { id: string; manifest: string; dependIds: string[]; targetNamespace: string | null }[];
  error: { code: string; message: string; resourceId: string | null; path: string | null } | null;
  contentHash: string;
  provenance: {
    source: string;
    table: string;
    position: string | null;
    commitTsMs: string | null;
    primaryKey: string;
  };
}

/**
 * Every committed record of the prefix's desired topic, oldest first. Rejects
 * while the topic does not exist yet (the processor creates it at start), so
 * call it inside waitFor until the first record is awaited.
 */
export async function readDesired(kafka: Kafka, prefix: string): Promise<TailRecord[]> {
  const records: TailRecord[] = [];
  await tailTopic({
    kafka,
    topic: desiredTopic(prefix),
    prefix,
    fromBeginning: true,
    onRecord: (record) => void records.push(record),
  });
  return records;
}

/** The values of one node's records, oldest first. */
export function recordsOf(records: readonly TailRecord[], id: string): (DesiredJson | null)[] {
  return records.filter((r) => r.key === id).map((r) => r.value as unknown as DesiredJson | null);
}

/** A rendered record's manifests, parsed, by resource id. */
export function manifestsOf(value: DesiredJson | null | undefined): Record<string, Record<string, unknown>> {
  if (value === null || value === undefined) throw new Error('a tombstone (or no record) has no manifests');
  if (value.error !== null) throw new Error(`${value.id} is an error record: ${value.error.message}`);
  return Object.fromEntries(value.resources.map((r) => [r.id, JSON.parse(r.manifest)]));
}
