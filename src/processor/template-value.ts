import { UNCHANGED_TOAST } from '../core/change-event.js';

// Row values as templates see them. A row carries bigint (long), Buffer
// (bytes) and other values Liquid and JSON handle badly: `| json` throws on a
// bigint and prints a Buffer as {"type":"Buffer",...}, and the desired record
// must be JSON. So every value is turned into plain JSON data before any
// template sees it, the same way for the uid, `row`, `values` and lookups.

/** Thrown by templateValue for a value that has no template form. */
export class UntemplatableValueError extends Error {
  constructor(readonly reason: 'unchanged-toast' | 'unsupported') {
    super(reason);
    this.name = 'UntemplatableValueError';
  }
}

/**
 * - bigint within ±(2^53 − 1) → number, so `replicas > 2` and `| to_int` work
 *   as for any integer column; beyond it → its decimal string, since a number
 *   would silently round (printed, both look the same);
 * - Buffer / Uint8Array → base64 text (reversible with `| b64dec`);
 * - Date → ISO-8601 text (rows carry dates as text already; this is a fallback);
 * - undefined → null; strings, booleans, numbers and null unchanged;
 * - arrays and plain objects → converted member by member.
 * Throws UntemplatableValueError for UNCHANGED_TOAST (the database did not
 * send the value: rendering it as null would be a lie) and for symbols or
 * functions.
 */
export function templateValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'number':
      return value;
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    case 'symbol':
      throw new UntemplatableValueError(value === UNCHANGED_TOAST ? 'unchanged-toast' : 'unsupported');
    case 'function':
      throw new UntemplatableValueError('unsupported');
  }
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(templateValue);
  // fromEntries defines own properties, so a "__proto__" column stays a column.
  return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, templateValue(member)]));
}
