import { canonicalJson } from '../../contracts/canonical-json.js';
import type { Provenance } from '../../contracts/desired-record.js';
import type { InputTopic } from '../../contracts/input-topics.js';
import {
  type ChangeEnvelope,
  decodeNative,
  type RawRecord,
  type SchemaResolver,
  toJsonValue,
} from '../../kafka/index.js';
import type { TableChange } from '../materializer/index.js';

// How one record of the processor's inputs (src/contracts/input-topics.ts)
// becomes a TableChange (+ provenance).

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
      capturedAtMs: envelope.ts_ms,
      changeSeenAtMs: record.receivedAtMs === undefined ? null : BigInt(record.receivedAtMs),
    },
  };
}
