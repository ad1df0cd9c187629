import avro from 'avsc';

// avsc reads Avro longs as JS numbers and refuses values beyond 2^53. Column
// values of kind 'long' are bigint (change-event.ts), so every schema rowkube
// parses uses this long type: exact over the whole int64 range.

function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' || typeof value === 'string') return BigInt(value);
  throw new TypeError(`cannot read ${typeof value} as an Avro long`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export const bigintLongType = avro.types.LongType.__with({
  // avsc hands over and expects the long as 8 bytes, little-endian two's complement.
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  // JSON is only used for defaults and avsc's toString: a string keeps it exact.
  fromJSON: toBigInt,
  toJSON: (n: bigint) => n.toString(),
  isValid: (n: unknown) => typeof n === 'bigint' && n >= INT64_MIN && n <= INT64_MAX,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/**
 * Parses an Avro schema the way rowkube encodes and decodes: longs as bigint.
 * Each call gets its own registry because avsc stores named types in it, and
 * two schemas may define the same name differently (two versions of a table).
 */
export function avroType(schema: object): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { registry: { long: bigintLongType } });
}
