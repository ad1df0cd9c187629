// Turns decoded Avro values into values JSON can carry without loss, for
// `rowkube tail` and anything else that prints records:
// - bigint (every Avro long) → decimal string, always, as the proto3 JSON
//   mapping does for int64: a JSON number beyond 2^53 is rounded by most
//   readers (JSON.parse, jq < 1.7), and a type that depends on the value's
//   size would trip consumers. `ts_ms` is therefore a string too.
// - Buffer (Avro bytes/fixed) → standard base64 string.
// - NaN and ±Infinity (Avro double/float) → "NaN", "Infinity", "-Infinity",
//   which JSON cannot hold as numbers (again as proto3 does).
// - everything else is kept; objects and arrays are converted deeply.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
    case 'boolean':
      return value;
    case 'object': {
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
      if (Array.isArray(value)) return value.map(toJsonValue);
      const out: { [key: string]: JsonValue } = {};
      for (const [k, v] of Object.entries(value)) {
        if (k === '__proto__') Object.defineProperty(out, k, { value: toJsonValue(v), enumerable: true });
        else out[k] = toJsonValue(v);
      }
      return out;
    }
    default:
      return String(value);
  }
}
