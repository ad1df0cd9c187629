// The Confluent wire format of a key or value: magic byte 0, the registry's
// schema id as a 4-byte big-endian integer, then the Avro body. Every
// Confluent-compatible client (Kafka Connect's AvroConverter, Flink's
// avro-confluent format, @kafkajs/confluent-schema-registry) reads it.

export const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

/** The framed bytes of an Avro body written with the schema the registry knows as `id`. */
export function frame(id: number, body: Buffer): Buffer {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) {
    throw new RangeError(`a schema registry id must be a 32-bit unsigned integer, got ${id}`);
  }
  const framed = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  framed.writeUInt8(MAGIC_BYTE, 0);
  framed.writeUInt32BE(id, 1);
  body.copy(framed, HEADER_BYTES);
  return framed;
}

/**
 * The id and body of framed bytes, or undefined when the bytes are not in the
 * wire format. Text (JSON, names) never starts with a zero byte, so the magic
 * byte tells framed records from rowkube's own text records.
 */
export function unframe(bytes: Buffer): { id: number; body: Buffer } | undefined {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC_BYTE) return undefined;
  return { id: bytes.readUInt32BE(1), body: bytes.subarray(HEADER_BYTES) };
}
