import { tableLabel } from '../contracts/index.js';
import type { ColumnKind, ColumnSpec, TableSchema } from '../core/change-event.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { toAvroName, toAvroNamespace } from './avro-names.js';

// Derives the Avro schemas of a captured table from its TableSchema: the key
// (primary key columns) and the value, a Debezium-shaped change envelope. Pure:
// the same TableSchema always gives the same schemas, hence the same schema ids.

/** Schema attributes rowkube adds, so a consumer with only the schema knows what a field means. */
export const Attr = {
  /** On a column field: the column's name in the database (the Avro name may be rewritten). */
  column: 'rowkube.column',
  /** On a column field: the ColumnKind, i.e. how to read the value (a decimal is a string, ...). */
  kind: 'rowkube.kind',
  /** On a column field: the database's type text, e.g. "decimal(10,2)". */
  sourceType: 'rowkube.sourceType',
  /** On a column field: whether the column accepts NULL (the Avro type may be wider, see below). */
  nullable: 'rowkube.nullable',
  /** On the key and envelope records: which table the record belongs to. */
  source: 'rowkube.source',
  database: 'rowkube.database',
  schema: 'rowkube.schema',
  table: 'rowkube.table',
} as const;

export interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
  [attribute: string]: unknown;
}

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  fields: AvroField[];
  [attribute: string]: unknown;
}

/** A column and the Avro field that carries it. */
export interface FieldMapping {
  column: string;
  avroName: string;
  kind: ColumnKind;
  /** True when the Avro type is ["null", T]: the field may be null even if the column is NOT NULL. */
  optional: boolean;
}

export interface TableAvroSchemas {
  keySchema: AvroRecordSchema;
  valueSchema: AvroRecordSchema;
  /** Every column in table order. */
  columns: FieldMapping[];
  /** The primary key columns in key order. */
  keyColumns: FieldMapping[];
}

const AVRO_TYPE_OF_KIND: Record<ColumnKind, string> = {
  boolean: 'boolean',
  int: 'int',
  long: 'long', // read and written as bigint (avro-type.ts)
  float: 'double', // the shortest decimal of the 32-bit value (core/float32.ts) is a double's, not a float's
  double: 'double',
  decimal: 'string', // exact: a float or a fixed-scale bytes decimal would lose or constrain it
  string: 'string',
  json: 'string',
  bytes: 'bytes',
  // ISO-8601 text as change-event.ts documents; Avro's date/time logical types
  // cannot hold MySQL's zero dates or PostgreSQL's infinity, text can.
  date: 'string',
  time: 'string',
  'local-timestamp': 'string',
  timestamp: 'string',
};

/**
 * The `source` block of every change envelope. One record shared by every
 * table and both databases (as Debezium shares io.debezium.connector.*.Source):
 * its definition never depends on the table, so a shared name cannot clash.
 */
export const SOURCE_RECORD: AvroRecordSchema = {
  type: 'record',
  name: 'Source',
  namespace: 'rowkube',
  fields: [
    { name: 'connector', type: 'string', doc: '"mysql" or "postgres"' },
    { name: 'name', type: 'string', doc: 'the configured source name' },
    { name: 'db', type: 'string' },
    { name: 'schema', type: ['null', 'string'], default: null, doc: 'PostgreSQL schema' },
    { name: 'table', type: 'string' },
    { name: 'snapshot', type: 'boolean' },
    { name: 'file', type: ['null', 'string'], default: null, doc: 'MySQL binlog file' },
    { name: 'pos', type: ['null', 'long'], default: null, doc: 'MySQL binlog position' },
    { name: 'gtid', type: ['null', 'string'], default: null, doc: 'MySQL/MariaDB GTID (set)' },
    { name: 'lsn', type: ['null', 'string'], default: null, doc: 'PostgreSQL LSN' },
    { name: 'txId', type: ['null', 'string'], default: null, doc: "the database's transaction id" },
    { name: 'ts_ms', type: 'long', doc: 'commit time by the database clock, ms since epoch' },
  ],
};

/** Which connector a table comes from: only PostgreSQL tables have a schema (change-event.ts). */
export function connectorOf(table: Pick<TableSchema, 'schema'>): 'mysql' | 'postgres' {
  return table.schema === undefined ? 'mysql' : 'postgres';
}

export function tableAvroSchemas(table: TableSchema): TableAvroSchemas {
  const label = tableLabel(table);
  if (table.primaryKey.length === 0) {
    throw new RowkubeError(
      ErrorCode.NO_PRIMARY_KEY,
      `table ${label} has no primary key: change topics are keyed by it; add one or stop capturing the table`,
    );
  }

  const keySet = new Set(table.primaryKey);
  const byColumn = new Map<string, FieldMapping>();
  const byAvroName = new Map<string, string>();
  const fields = new Map<string, AvroField>();
  for (const column of table.columns) {
    if (byColumn.has(column.name))
      throw new TypeError(`table ${label}: column '${column.name}' appears twice`);
    const avroName = toAvroName(column.name);
    const clash = byAvroName.get(avroName);
    if (clash !== undefined) {
      throw new RowkubeError(
        ErrorCode.UNSUPPORTED_TYPE,
        `table ${label}: columns '${clash}' and '${column.name}' both map to the Avro field name '${avroName}'; rename one of them`,
      );
    }
    byAvroName.set(avroName, column.name);
    // Key columns are never optional, whatever the connector reports about
    // their nullability: a primary key column is never NULL, and the key
    // bytes of a row must not change when a definition comes from metadata
    // that says otherwise (e.g. a binlog event read back after an ALTER) —
    // compaction would then keep both keys. Every other column is optional in
    // Avro because a value can be missing even in a NOT NULL column: an
    // unchanged TOAST value, or a PostgreSQL before-image that carries only the
    // key (REPLICA IDENTITY DEFAULT). `rowkube.nullable` keeps the truth.
    const isKey = keySet.has(column.name);
    const spec = isKey && column.nullable ? { ...column, nullable: false } : column;
    const optional = !isKey;
    byColumn.set(column.name, { column: column.name, avroName, kind: column.kind, optional });
    fields.set(column.name, columnField(spec, avroName, optional, label));
  }

  const keyColumns = table.primaryKey.map((name) => {
    const mapping = byColumn.get(name);
    if (mapping === undefined)
      throw new TypeError(`table ${label}: primary key column '${name}' is not a column`);
    return mapping;
  });

  const namespace = toAvroNamespace(
    ['rowkube', table.source, table.database, table.schema, table.table].filter((p) => p !== undefined),
  );
  const tableAttrs: Record<string, string> = {
    [Attr.source]: table.source,
    [Attr.database]: table.database,
    ...(table.schema === undefined ? {} : { [Attr.schema]: table.schema }),
    [Attr.table]: table.table,
  };

  const keySchema: AvroRecordSchema = {
    type: 'record',
    name: 'Key',
    namespace,
    ...tableAttrs,
    fields: table.primaryKey.map((name) => fields.get(name) as AvroField),
  };
  const rowRecord: AvroRecordSchema = {
    type: 'record',
    name: 'Value',
    namespace,
    fields: table.columns.map((c) => fields.get(c.name) as AvroField),
  };
  const valueSchema: AvroRecordSchema = {
    type: 'record',
    name: 'Envelope',
    namespace,
    ...tableAttrs,
    fields: [
      { name: 'before', type: ['null', rowRecord], default: null },
      { name: 'after', type: ['null', `${namespace}.Value`], default: null },
      { name: 'op', type: 'string', doc: 'c create, u update, d delete, r read (snapshot)' },
      { name: 'source', type: SOURCE_RECORD },
      { name: 'ts_ms', type: 'long', doc: 'when rowkube produced the event, ms since epoch' },
      {
        name: 'unchanged',
        type: { type: 'array', items: 'string' },
        default: [],
        doc: 'columns whose value was not sent (PostgreSQL unchanged TOAST): null in the row, not SQL NULL',
      },
    ],
  };

  return { keySchema, valueSchema, columns: [...byColumn.values()], keyColumns };
}

function columnField(column: ColumnSpec, avroName: string, optional: boolean, label: string): AvroField {
  const avroType = AVRO_TYPE_OF_KIND[column.kind];
  if (avroType === undefined) {
    throw new RowkubeError(
      ErrorCode.UNSUPPORTED_TYPE,
      `table ${label}: column '${column.name}' has unknown kind '${String(column.kind)}' (${column.sourceType})`,
    );
  }
  return {
    name: avroName,
    type: optional ? ['null', avroType] : avroType,
    ...(optional ? { default: null } : {}),
    [Attr.column]: column.name,
    [Attr.kind]: column.kind,
    [Attr.sourceType]: column.sourceType,
    [Attr.nullable]: column.nullable,
  };
}
