import type avro from 'avsc';
import { Attr } from './avro-schemas.js';
import { avroType } from './avro-type.js';

// Encodes and decodes with any rowkube schema given only its JSON text, as a
// consumer finds it in `<prefix>._schemas`. Record fields that carry a
// `rowkube.column` attribute are renamed between the database's name (what
// callers see) and the Avro name (what is on the wire). Values stay native:
// longs are bigint, bytes are Buffer (json-value.ts makes them JSON-friendly).

/** Maps a value between the caller's shape and avsc's; null means "unchanged", so clean subtrees cost nothing. */
type Convert = ((value: unknown) => unknown) | null;

interface Converters {
  decode: Convert;
  encode: Convert;
}

const IDENTITY: Converters = { decode: null, encode: null };

export class SchemaCodec {
  private constructor(
    /** The parsed schema JSON, attributes included. */
    readonly schema: unknown,
    readonly type: avro.Type,
    private readonly converters: Converters,
  ) {}

  static fromText(text: string): SchemaCodec {
    return SchemaCodec.fromSchema(JSON.parse(text) as unknown);
  }

  static fromSchema(schema: unknown): SchemaCodec {
    return new SchemaCodec(schema, avroType(schema as object), new Compiler().compile(schema, ''));
  }

  /** Decodes one Avro datum; records come back with database column names. */
  decode(buffer: Buffer): unknown {
    const value = this.type.fromBuffer(buffer);
    return this.converters.decode === null ? value : this.converters.decode(value);
  }

  /** Encodes a value given with database column names. */
  encode(value: unknown): Buffer {
    return this.type.toBuffer(this.converters.encode === null ? value : this.converters.encode(value));
  }
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** Builds converters by walking the schema JSON (avsc's types drop custom field attributes). */
class Compiler {
  private readonly named = new Map<string, Converters>();
  /** Records whose fields are being compiled: a reference to one of them is recursive. */
  private readonly inProgress = new Set<string>();

  compile(schema: unknown, namespace: string): Converters {
    if (typeof schema === 'string') {
      if (PRIMITIVES.has(schema)) return IDENTITY;
      return this.reference(schema, namespace);
    }
    if (Array.isArray(schema)) return this.union(schema, namespace);
    if (schema === null || typeof schema !== 'object')
      throw new TypeError(`not an Avro schema: ${String(schema)}`);
    const s = schema as Record<string, unknown>;
    switch (s.type) {
      case 'record':
      case 'error':
        return this.record(s, namespace);
      case 'array':
        return this.array(s.items, namespace);
      case 'map':
        return this.map(s.values, namespace);
      case 'enum':
      case 'fixed':
        this.named.set(fullName(s, namespace), IDENTITY);
        return IDENTITY;
      default:
        // A primitive written as an object, possibly with a logicalType.
        return IDENTITY;
    }
  }

  private reference(name: string, namespace: string): Converters {
    const qualified = `${namespace}.${name}`;
    const full = name.includes('.') || namespace === '' || !this.named.has(qualified) ? name : qualified;
    const found = this.named.get(full);
    if (found === undefined) throw new TypeError(`Avro type '${name}' is used before it is defined`);
    if (!this.inProgress.has(full)) return found;
    // A recursive reference: the record's converters do not exist yet.
    return {
      decode: (v) => apply(this.named.get(full)?.decode ?? null, v),
      encode: (v) => apply(this.named.get(full)?.encode ?? null, v),
    };
  }

  private record(s: Record<string, unknown>, namespace: string): Converters {
    const name = fullName(s, namespace);
    const ownNamespace = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '';
    this.named.set(name, IDENTITY);
    this.inProgress.add(name);
    const fields = (s.fields as Record<string, unknown>[]).map((f) => {
      const avroName = f.name as string;
      const column = typeof f[Attr.column] === 'string' ? (f[Attr.column] as string) : avroName;
      return { avroName, column, ...this.compile(f.type, ownNamespace) };
    });
    this.inProgress.delete(name);
    const clean = fields.every((f) => f.avroName === f.column && f.decode === null && f.encode === null);
    if (clean) return IDENTITY;
    const converters: Converters = {
      decode: (v) => {
        const record = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const f of fields) setField(out, f.column, apply(f.decode, record[f.avroName]));
        return out;
      },
      encode: (v) => {
        const record = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const f of fields) out[f.avroName] = apply(f.encode, ownField(record, f.column));
        return out;
      },
    };
    this.named.set(name, converters);
    return converters;
  }

  private union(branches: unknown[], namespace: string): Converters {
    const compiled = branches.map((b) => ({ branch: b, ...this.compile(b, namespace) }));
    const converting = compiled.filter((c) => c.decode !== null || c.encode !== null);
    if (converting.length === 0) return IDENTITY;
    const nonNull = compiled.filter((c) => c.branch !== 'null');
    if (nonNull.length !== 1) {
      // rowkube only writes ["null", T]; a union of several records would be
      // wrapped by avsc and need the branch name to pick a converter.
      throw new TypeError('unions of several types with renamed columns are not supported');
    }
    const only = nonNull[0] as Converters;
    return {
      decode: (v) => (v === null || v === undefined ? v : apply(only.decode, v)),
      encode: (v) => (v === null || v === undefined ? v : apply(only.encode, v)),
    };
  }

  private array(items: unknown, namespace: string): Converters {
    const c = this.compile(items, namespace);
    if (c.decode === null && c.encode === null) return IDENTITY;
    return {
      decode: (v) => (v as unknown[]).map((x) => apply(c.decode, x)),
      encode: (v) => (v as unknown[]).map((x) => apply(c.encode, x)),
    };
  }

  private map(values: unknown, namespace: string): Converters {
    const c = this.compile(values, namespace);
    if (c.decode === null && c.encode === null) return IDENTITY;
    const each = (convert: Convert) => (v: unknown) => {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) setField(out, k, apply(convert, x));
      return out;
    };
    return { decode: each(c.decode), encode: each(c.encode) };
  }
}

function apply(convert: Convert, value: unknown): unknown {
  return convert === null ? value : convert(value);
}

function fullName(s: Record<string, unknown>, enclosing: string): string {
  const name = s.name as string;
  if (name.includes('.')) return name;
  const namespace = typeof s.namespace === 'string' ? s.namespace : enclosing;
  return namespace === '' ? name : `${namespace}.${name}`;
}

/** A column may be called "__proto__" or "constructor": never let a name reach the prototype chain. */
function setField(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[name] = value;
  }
}

export function ownField(row: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(row, name) ? row[name] : undefined;
}
