import type { Op, Row } from '../../core/change-event.js';
import { uidText } from '../node-variables.js';
import { templateValue, UntemplatableValueError } from '../template-value.js';

// What the materializer consumes: one record of a change topic, reduced to
// what it needs. The Kafka wrapper (later) builds it from a ChangeEnvelope and
// the record key; keeping Kafka out of here keeps the materializer pure.

/** A decoded change record: `key` is the table's primary key as one canonical string (the topic key). */
export interface ChangeRecord {
  /** The source (ChangeEnvelope.source.name); when absent, hubs of any source with this table match. */
  source?: string;
  /** ChangeEnvelope.source.table. */
  table: string;
  key: string;
  op: Op;
  before: Row | null;
  after: Row | null;
  /** Columns the database did not send (PostgreSQL unchanged TOAST); null in `after`. */
  unchanged: readonly string[];
}

/** A record with a null value: the row is gone (compaction keeps only this for the key). */
export interface TombstoneRecord {
  source?: string;
  table: string;
  key: string;
  tombstone: true;
}

export type TableChange = ChangeRecord | TombstoneRecord;

/** One node of one hub: node id = `<form>/<uid>`. */
export interface NodeRef {
  id: string;
  form: string;
  hub: string;
  uid: string;
}

/**
 * The text a raw value has as a uid, or undefined when it cannot be one: the
 * same conversion nodeVariables uses for `uid` (templateValue, then uidText),
 * or a lookup key would not find the hub row whose node renders with that uid.
 */
export function keyText(value: unknown): string | undefined {
  let converted: unknown;
  try {
    converted = templateValue(value);
  } catch (error) {
    if (error instanceof UntemplatableValueError) return undefined;
    throw error;
  }
  return uidText(converted);
}
