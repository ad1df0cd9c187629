import { ErrorCode, RowkubeError } from '../core/errors.js';
import type { RawRecord } from './record-decoder.js';
import { unframe } from './registry/confluent-frame.js';
import type { SchemaCodec } from './schema-codec.js';
import { VALUE_SCHEMA_HEADER } from './schema-id.js';
import type { SchemaResolver } from './schema-registry.js';

// A record value kept as the Avro bytes it was read as, decoded only when it
// is needed: what a stage holds for every key but reads rarely (the sink's
// desired state of every node, read again only to set back drift) takes the
// size of the bytes instead of a decoded object graph several times larger.
// The bytes are one latin1 string (one byte per byte, in the JS heap, owning
// its memory rather than a slice that would pin a whole fetch buffer), with the
// codec of their writer schema, resolved once, so decoding is synchronous.

export interface PackedValue {
  readonly bytes: string;
  readonly codec: Pick<SchemaCodec, 'decode'>;
}

/**
 * The record's value packed, or null for a tombstone. Only Avro values (a
 * schema header, or the Confluent wire format) can be packed: what else a
 * rowkube topic holds is small text, read whole where it is read.
 */
export async function packValue(record: RawRecord, resolver: SchemaResolver): Promise<PackedValue | null> {
  const bytes = record.value;
  if (bytes === null) return null;
  const schemaId = record.headers[VALUE_SCHEMA_HEADER];
  if (schemaId !== undefined)
    return { bytes: bytes.toString('latin1'), codec: await resolver.resolve(schemaId) };
  const framed = unframe(bytes);
  if (framed === undefined || resolver.resolveRegistered === undefined)
    throw new RowkubeError(
      ErrorCode.CONFIG,
      framed === undefined
        ? 'a record value names no Avro schema (no schema header, not the Confluent wire format): only Avro values can be kept packed'
        : `a record is in the Confluent wire format (schema registry id ${framed.id}), but this reader has no schema registry: configure schemaRegistry`,
    );
  return { bytes: framed.body.toString('latin1'), codec: await resolver.resolveRegistered(framed.id) };
}

/** The packed value decoded (a new object each time). */
export function unpackValue<V>(packed: PackedValue): V {
  return packed.codec.decode(Buffer.from(packed.bytes, 'latin1')) as V;
}
