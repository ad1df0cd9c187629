import type avro from 'avsc';
import { changeTopic, tableLabel } from '../contracts/index.js';
import {
  type Op,
  type Row,
  type RowChange,
  type SourcePosition,
  type TableSchema,
  UNCHANGED_TOAST,
} from '../core/change-event.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { connectorOf, type FieldMapping, tableAvroSchemas } from './avro-schemas.js';
import { avroType } from './avro-type.js';
import { ownField } from './schema-codec.js';
import {
  KEY_SCHEMA_HEADER,
  type RegisteredSchema,
  registerSchema,
  VALUE_SCHEMA_HEADER,
} from './schema-id.js';
import { TRUNCATE_KEY_SCHEMA, truncateKey } from './truncate-key.js';

// RowChange → Kafka messages, following Debezium's rules so that
// Debezium-aware consumers and compaction behave as they expect:
// - key = the primary key (Avro), value = the change envelope (Avro);
// - a delete is followed by a tombstone (same key, null value), so compaction
//   eventually drops the row;
// - an update that changes the primary key becomes delete(old key) +
//   tombstone(old key) + create(new key);
// - snapshot rows have op 'r';
// - a truncate (op 't', before and after null) is keyed by TRUNCATE_KEY_SCHEMA
//   (truncate-key.ts): compacted topics need a key, and no row has this one.
// Pure: no I/O; the clock is injectable.

/** What the envelope's `source` block says about the transaction a change belongs to. */
export interface SourceContext {
  /** True while emitting a snapshot (op 'r' implies it too). */
  snapshot: boolean;
  /** The database's transaction id (GTID, xid), when known. */
  txId?: string;
  /**
   * The source position of the transaction. Read by key: `file` (string) and
   * `pos` (number) for a binlog position, `gtid` (string), `lsn` (string);
   * other keys stay in the offsets topic only.
   */
  position?: SourcePosition;
  /** source.ts_ms: commit time by the database clock, ms since epoch. */
  tsMs: number;
}

export interface OutgoingMessage {
  topic: string;
  key: Buffer;
  /** null for a tombstone. */
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface EncodedChange {
  messages: OutgoingMessage[];
  /** The key and value schemas the messages name: published before the messages are committed. */
  schemas: RegisteredSchema[];
}

export interface ChangeEncoderOptions {
  /** Topic prefix (`kafka.topicPrefix`). */
  prefix: string;
  /** The envelope's ts_ms; Date.now by default. */
  now?: () => number;
}

/** Everything derived once per table version. */
interface TableCodec {
  table: TableSchema;
  label: string;
  topic: string;
  connector: 'mysql' | 'postgres';
  columns: FieldMapping[];
  keyColumns: FieldMapping[];
  keyType: avro.Type;
  valueType: avro.Type;
  keySchema: RegisteredSchema;
  valueSchema: RegisteredSchema;
  keyHeaders: Record<string, string>;
  valueHeaders: Record<string, string>;
}

/** Table versions kept by content; a connector that builds a new TableSchema object per event still hits. */
const MAX_CACHED_TABLES = 1_000;

export class ChangeEncoder {
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly byObject = new WeakMap<TableSchema, TableCodec>();
  private readonly byContent = new Map<string, TableCodec>();

  constructor(options: ChangeEncoderOptions) {
    this.prefix = options.prefix;
    this.now = options.now ?? Date.now;
  }

  /** The topic and schemas of a table (validates the table: throws a RowkubeError naming it). */
  describe(table: TableSchema): {
    topic: string;
    keySchema: RegisteredSchema;
    valueSchema: RegisteredSchema;
  } {
    const { topic, keySchema, valueSchema } = this.codecFor(table);
    return { topic, keySchema, valueSchema };
  }

  encode(change: RowChange, source: SourceContext): EncodedChange {
    const codec = this.codecFor(change.table);
    const producedAt = BigInt(this.now());
    const envelope = (op: Op, before: Row | null, after: Row | null): OutgoingMessage => {
      const unchanged: string[] = [];
      const value = {
        before: before === null ? null : avroRow(codec.columns, before, unchanged),
        after: after === null ? null : avroRow(codec.columns, after, unchanged),
        op,
        source: sourceBlock(codec, source, op),
        ts_ms: producedAt,
        unchanged: [...new Set(unchanged)],
      };
      const row = after ?? before;
      return {
        topic: codec.topic,
        key: row === null ? truncateKey(codec.table) : encodeKey(codec, row),
        value: encodeChecked(codec, codec.valueType, value, 'value'),
        headers: codec.valueHeaders,
      };
    };
    const tombstone = (key: Buffer): OutgoingMessage => ({
      topic: codec.topic,
      key,
      value: null,
      headers: codec.keyHeaders,
    });

    const schemas = [codec.keySchema, codec.valueSchema];
    const { op, before, after } = change;
    switch (op) {
      case 'c':
      case 'r': {
        const row = required(codec, op, 'after', after);
        return { schemas, messages: [envelope(op === 'c' && source.snapshot ? 'r' : op, null, row)] };
      }
      case 'u': {
        const row = required(codec, op, 'after', after);
        // A before-image without the key columns (PostgreSQL sends the old key
        // only when it changed) means the key did not change.
        if (before !== null && codec.keyColumns.every((k) => isPresent(ownField(before, k.column)))) {
          const oldKey = encodeKey(codec, before);
          if (!oldKey.equals(encodeKey(codec, row))) {
            const deleted = envelope('d', before, null);
            return { schemas, messages: [deleted, tombstone(deleted.key), envelope('c', null, row)] };
          }
        }
        return { schemas, messages: [envelope('u', before, row)] };
      }
      case 'd': {
        const deleted = envelope('d', required(codec, op, 'before', before), null);
        return { schemas, messages: [deleted, tombstone(deleted.key)] };
      }
      case 't': {
        const truncated = envelope('t', null, null);
        return {
          schemas: [TRUNCATE_KEY_SCHEMA, codec.valueSchema],
          messages: [
            {
              ...truncated,
              headers: {
                [KEY_SCHEMA_HEADER]: TRUNCATE_KEY_SCHEMA.id,
                [VALUE_SCHEMA_HEADER]: codec.valueSchema.id,
              },
            },
          ],
        };
      }
      default:
        throw new TypeError(`table ${codec.label}: unknown op '${String(op)}'`);
    }
  }

  private codecFor(table: TableSchema): TableCodec {
    const cached = this.byObject.get(table);
    if (cached !== undefined) return cached;
    const content = JSON.stringify(table);
    let codec = this.byContent.get(content);
    if (codec === undefined) {
      codec = buildCodec(this.prefix, table);
      if (this.byContent.size >= MAX_CACHED_TABLES) this.byContent.clear();
      this.byContent.set(content, codec);
    }
    this.byObject.set(table, codec);
    return codec;
  }
}

function buildCodec(prefix: string, table: TableSchema): TableCodec {
  const topic = changeTopic(prefix, table);
  const schemas = tableAvroSchemas(table);
  const keySchema = registerSchema(schemas.keySchema);
  const valueSchema = registerSchema(schemas.valueSchema);
  return {
    table,
    label: tableLabel(table),
    topic,
    connector: connectorOf(table),
    columns: schemas.columns,
    keyColumns: schemas.keyColumns,
    keyType: avroType(schemas.keySchema),
    valueType: avroType(schemas.valueSchema),
    keySchema,
    valueSchema,
    keyHeaders: { [KEY_SCHEMA_HEADER]: keySchema.id },
    valueHeaders: { [KEY_SCHEMA_HEADER]: keySchema.id, [VALUE_SCHEMA_HEADER]: valueSchema.id },
  };
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== UNCHANGED_TOAST;
}

function required(codec: TableCodec, op: Op, side: 'before' | 'after', row: Row | null): Row {
  if (row === null) throw new TypeError(`table ${codec.label}: a change with op '${op}' needs '${side}'`);
  return row;
}

/** A row with Avro field names; unchanged TOAST and missing values become null. */
function avroRow(columns: FieldMapping[], row: Row, unchanged: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) {
    let value = ownField(row, c.column);
    if (value === UNCHANGED_TOAST) {
      unchanged.push(c.column);
      value = null;
    } else if (value === undefined) {
      value = null;
    }
    out[c.avroName] = value;
  }
  return out;
}

function encodeKey(codec: TableCodec, row: Row): Buffer {
  const key: Record<string, unknown> = {};
  for (const k of codec.keyColumns) {
    const value = ownField(row, k.column);
    if (!isPresent(value) && !k.optional) {
      throw new RowkubeError(
        ErrorCode.UNSUPPORTED_TYPE,
        `table ${codec.label}: primary key column '${k.column}' has no value in a row change`,
      );
    }
    key[k.avroName] = value === undefined || value === UNCHANGED_TOAST ? null : value;
  }
  return encodeChecked(codec, codec.keyType, key, 'key');
}

function sourceBlock(codec: TableCodec, source: SourceContext, op: Op): Record<string, unknown> {
  const position = source.position ?? {};
  const text = (name: string) => (typeof position[name] === 'string' ? (position[name] as string) : null);
  const pos = position.pos;
  return {
    connector: codec.connector,
    name: codec.table.source,
    db: codec.table.database,
    schema: codec.table.schema ?? null,
    table: codec.table.table,
    snapshot: source.snapshot || op === 'r',
    file: text('file'),
    pos: typeof pos === 'number' || (typeof pos === 'string' && /^\d+$/.test(pos)) ? BigInt(pos) : null,
    gtid: text('gtid'),
    lsn: text('lsn'),
    txId: source.txId ?? null,
    ts_ms: BigInt(Math.trunc(source.tsMs)),
  };
}

/** What a value of each kind must be in a RowChange (change-event.ts). */
const EXPECTED: Record<string, string> = {
  boolean: 'a boolean',
  int: 'a 32-bit integer number',
  long: 'a bigint',
  float: 'a number',
  double: 'a number',
  bytes: 'a Buffer',
};

/** Encodes, and when the value does not fit the schema, says which column of which table is wrong. */
function encodeChecked(codec: TableCodec, type: avro.Type, value: unknown, what: 'key' | 'value'): Buffer {
  try {
    return type.toBuffer(value);
  } catch (error) {
    const problems: string[] = [];
    type.isValid(value, {
      errorHook: (path: string[], bad: unknown) => {
        const avroName = path[path.length - 1];
        const column = codec.columns.find((c) => c.avroName === avroName);
        const expected = column === undefined ? 'a valid value' : (EXPECTED[column.kind] ?? 'a string');
        const got =
          bad === null ? 'null' : typeof bad === 'object' ? (bad.constructor?.name ?? 'object') : typeof bad;
        problems.push(
          column === undefined
            ? `field ${path.join('.')} got ${got}`
            : `column '${column.column}' (${column.kind}) needs ${expected}, got ${got}`,
        );
      },
    });
    throw new RowkubeError(
      ErrorCode.UNSUPPORTED_TYPE,
      `table ${codec.label}: cannot encode the ${what}: ${problems.join('; ') || (error as Error).message}`,
      false,
      { cause: error },
    );
  }
}
