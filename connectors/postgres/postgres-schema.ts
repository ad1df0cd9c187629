// TableSchema for captured tables: read from the catalog before a snapshot or
// a stream starts, then kept in step with the stream from pgoutput Relation
// messages. PostgreSQL sends a Relation message before the first change of
// each table in each replication session and again after a DDL changed the
// table's shape, so a row is always decoded with the shape it was written in,
// whatever the catalog says by the time it is read.

import type { ColumnSpec, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { type TableRef, tableLabel } from './postgres-connection.js';
import { kindOfType, needsTypeInfo, type PgTypeInfo } from './postgres-types.js';

/** The part of pg.Client the catalog readers use. */
export interface Queryable {
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export interface CatalogColumn {
  name: string;
  typeOid: number;
  typeMod: number;
  /** format_type(): "numeric(10,2)", "timestamp with time zone", "mood". */
  sourceType: string;
  notNull: boolean;
  /** pg_attribute.attstorage: x and e may be stored out of line (TOAST). */
  storage: string;
}

/** What the catalog says about one table now. */
export interface CatalogTable {
  ref: TableRef;
  oid: number;
  /** pg_class.relkind: r table, p partitioned table, v view, … */
  relkind: string;
  /** pg_class.relreplident: d default (primary key), f full, i index, n nothing. */
  replicaIdentity: string;
  /** Captured columns in table order: neither dropped nor generated (pgoutput sends neither). */
  columns: CatalogColumn[];
  /** Primary key column names in key order; empty without a primary key. */
  primaryKey: string[];
  /** Columns of the REPLICA IDENTITY USING INDEX index, when relreplident is i. */
  replicaIdentityColumns: string[];
}

/** Catalog facts about types that are not built in (enums, domains), by OID; fills itself on demand. */
export class TypeCatalog {
  private readonly types = new Map<number, PgTypeInfo>();

  describe = (oid: number): PgTypeInfo | undefined => this.types.get(oid);

  /** Reads the types among `oids` (and the base types of domains among them) that are not known yet. */
  async load(client: Queryable, oids: Iterable<number>): Promise<void> {
    let wanted = [...new Set(oids)].filter((oid) => needsTypeInfo(oid) && !this.types.has(oid));
    while (wanted.length > 0) {
      const { rows } = await client.query<{
        oid: number;
        typname: string;
        typtype: string;
        typcategory: string;
        typbasetype: number;
      }>(
        'SELECT oid::int8::text AS oid, typname, typtype, typcategory, typbasetype::int8::text AS typbasetype ' +
          'FROM pg_type WHERE oid = ANY($1::oid[])',
        [wanted],
      );
      for (const row of rows) {
        const info = {
          oid: Number(row.oid),
          name: row.typname,
          type: row.typtype,
          category: row.typcategory,
          baseOid: Number(row.typbasetype),
        };
        this.types.set(info.oid, info);
      }
      for (const oid of wanted) {
        if (!this.types.has(oid))
          this.types.set(oid, { oid, name: String(oid), type: 'b', category: 'U', baseOid: 0 });
      }
      wanted = rows
        .map((row) => Number(row.typbasetype))
        .filter((oid) => needsTypeInfo(oid) && !this.types.has(oid));
    }
  }
}

const TABLE_BY_NAME =
  'SELECT c.oid::int8::text AS oid, c.relkind, c.relreplident, n.nspname, c.relname ' +
  'FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2';
const TABLE_BY_OID =
  'SELECT c.oid::int8::text AS oid, c.relkind, c.relreplident, n.nspname, c.relname ' +
  'FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::oid';
const COLUMNS =
  'SELECT a.attname, a.atttypid::int8::text AS atttypid, a.atttypmod, ' +
  'format_type(a.atttypid, a.atttypmod) AS source_type, a.attnotnull, a.attstorage ' +
  "FROM pg_attribute a WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' " +
  'ORDER BY a.attnum';
const INDEX_COLUMNS = (where: string) =>
  'SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ' +
  'JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ' +
  `WHERE i.indrelid = $1::oid AND ${where} ORDER BY k.ord`;

interface TableRow {
  oid: string;
  relkind: string;
  relreplident: string;
  nspname: string;
  relname: string;
}

/** The table as the catalog has it now, or undefined when there is no relation of that name. */
export async function readCatalogTable(client: Queryable, ref: TableRef): Promise<CatalogTable | undefined> {
  const { rows } = await client.query<TableRow>(TABLE_BY_NAME, [ref.schema, ref.table]);
  return rows[0] ? completeTable(client, rows[0]) : undefined;
}

/** The same by OID (a Relation message names tables by OID). */
export async function readCatalogTableByOid(
  client: Queryable,
  oid: number,
): Promise<CatalogTable | undefined> {
  const { rows } = await client.query<TableRow>(TABLE_BY_OID, [oid]);
  return rows[0] ? completeTable(client, rows[0]) : undefined;
}

async function completeTable(client: Queryable, row: TableRow): Promise<CatalogTable> {
  const oid = Number(row.oid);
  const columns = await client.query<{
    attname: string;
    atttypid: string;
    atttypmod: number;
    source_type: string;
    attnotnull: boolean;
    attstorage: string;
  }>(COLUMNS, [oid]);
  const primaryKey = await client.query<{ attname: string }>(INDEX_COLUMNS('i.indisprimary'), [oid]);
  const identity =
    row.relreplident === 'i'
      ? await client.query<{ attname: string }>(INDEX_COLUMNS('i.indisreplident'), [oid])
      : { rows: [] };
  return {
    ref: { schema: row.nspname, table: row.relname },
    oid,
    relkind: row.relkind,
    replicaIdentity: row.relreplident,
    columns: columns.rows.map((c) => ({
      name: c.attname,
      typeOid: Number(c.atttypid),
      typeMod: c.atttypmod,
      sourceType: c.source_type,
      notNull: c.attnotnull,
      storage: c.attstorage,
    })),
    primaryKey: primaryKey.rows.map((r) => r.attname),
    replicaIdentityColumns: identity.rows.map((r) => r.attname),
  };
}

/** Where the TableSchema's identity fields come from. */
export interface SchemaContext {
  /** The configured source name. */
  source: string;
  /** current_database(). */
  database: string;
}

/** The TableSchema of a catalog table. Throws NO_PRIMARY_KEY when it has none (preflight checks first). */
export function tableSchemaFromCatalog(
  context: SchemaContext,
  table: CatalogTable,
  describe: (oid: number) => PgTypeInfo | undefined,
): TableSchema {
  if (table.primaryKey.length === 0) throw noPrimaryKey(table.ref);
  return {
    source: context.source,
    database: context.database,
    schema: table.ref.schema,
    table: table.ref.table,
    columns: table.columns.map(
      (c): ColumnSpec => ({
        name: c.name,
        kind: kindOfType(c.typeOid, describe),
        nullable: !c.notNull,
        sourceType: c.sourceType,
      }),
    ),
    primaryKey: [...table.primaryKey],
  };
}

/**
 * Reads `ref` from the catalog (through `client`, which may be a snapshot
 * transaction: the catalog is then read as of the snapshot) and returns its
 * TableSchema, or undefined when the table does not exist.
 */
export async function loadTableSchema(
  client: Queryable,
  context: SchemaContext,
  ref: TableRef,
  types: TypeCatalog,
): Promise<{ catalog: CatalogTable; schema: TableSchema } | undefined> {
  const catalog = await readCatalogTable(client, ref);
  if (!catalog) return undefined;
  await types.load(
    client,
    catalog.columns.map((c) => c.typeOid),
  );
  return { catalog, schema: tableSchemaFromCatalog(context, catalog, types.describe) };
}

/** The parts of a pgoutput Relation message that describe a table's shape. */
export interface RelationShape {
  schema: string;
  name: string;
  replicaIdentity: 'default' | 'nothing' | 'full' | 'index';
  columns: { name: string; typeOid: number; typeMod: number }[];
  /** Replica identity columns: the primary key under DEFAULT, every column under FULL. */
  keyColumns: string[];
}

/**
 * The TableSchema a Relation message describes. The message has names and
 * types in the order rows are sent; nullability and the primary key are not in
 * it and come from `catalog` (the table now, possibly after later DDL: used
 * only where a column still has the same name and type) or else `previous`
 * (the shape before this message). A column known to neither is nullable.
 * `sourceTypes` holds format_type() of each relation column, in order.
 */
export function tableSchemaFromRelation(
  context: SchemaContext,
  relation: RelationShape,
  sourceTypes: readonly string[],
  describe: (oid: number) => PgTypeInfo | undefined,
  catalog: CatalogTable | undefined,
  previous: TableSchema | undefined,
): TableSchema {
  const ref = { schema: relation.schema, table: relation.name };
  const columns = relation.columns.map((column, i): ColumnSpec => {
    const now = catalog?.columns.find((c) => c.name === column.name && c.typeOid === column.typeOid);
    const before = previous?.columns.find((c) => c.name === column.name);
    const kind = kindOfType(column.typeOid, describe);
    return {
      name: column.name,
      kind,
      nullable: now ? !now.notNull : before && before.kind === kind ? before.nullable : true,
      sourceType: sourceTypes[i] ?? now?.sourceType ?? String(column.typeOid),
    };
  });
  const names = new Set(columns.map((c) => c.name));
  const complete = (key: readonly string[] | undefined) =>
    key !== undefined && key.length > 0 && key.every((name) => names.has(name));
  let primaryKey: readonly string[] | undefined;
  if (relation.replicaIdentity === 'default' && complete(relation.keyColumns))
    primaryKey = relation.keyColumns;
  else if (complete(catalog?.primaryKey)) primaryKey = catalog?.primaryKey;
  else if (complete(previous?.primaryKey)) primaryKey = previous?.primaryKey;
  if (!primaryKey) throw noPrimaryKey(ref);
  return {
    source: context.source,
    database: context.database,
    schema: ref.schema,
    table: ref.table,
    columns,
    primaryKey: [...primaryKey],
  };
}

export function noPrimaryKey(ref: TableRef): RowkubeError {
  const label = tableLabel(ref);
  return new RowkubeError(
    ErrorCode.NO_PRIMARY_KEY,
    `table ${label} has no primary key: add one (ALTER TABLE ${label} ADD PRIMARY KEY (…)) or remove the table ` +
      'from the source. rowkube keys every change (and its Kafka topic, compacted per key) by the primary key; ' +
      'REPLICA IDENTITY FULL gives whole before-images but no key, so it is not a substitute',
  );
}

/**
 * Keeps the stream's TableSchemas by relation OID, updated from Relation
 * messages. Catalog reads go through `client`, a normal (non-replication)
 * connection.
 */
export class StreamSchemas {
  private readonly byOid = new Map<number, TableSchema>();
  private readonly types = new TypeCatalog();

  constructor(
    private readonly context: SchemaContext,
    /** Schemas known before the stream starts (catalog), by "schema.table". */
    private readonly initial: ReadonlyMap<string, TableSchema>,
  ) {}

  /** The schema rows of relation `oid` decode with, or undefined before its Relation message. */
  get(oid: number): TableSchema | undefined {
    return this.byOid.get(oid);
  }

  /** Applies a Relation message; returns the new schema (a new object whenever anything changed). */
  async onRelation(client: Queryable, oid: number, relation: RelationShape): Promise<TableSchema> {
    const previous = this.byOid.get(oid) ?? this.initial.get(`${relation.schema}.${relation.name}`);
    await this.types.load(
      client,
      relation.columns.map((c) => c.typeOid),
    );
    const { rows } = await client.query<{ type: string }>(
      'SELECT format_type(u.type, u.mod) AS type FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS u(type, mod, ord) ' +
        'ORDER BY u.ord',
      [relation.columns.map((c) => c.typeOid), relation.columns.map((c) => c.typeMod)],
    );
    const catalog = await readCatalogTableByOid(client, oid);
    const next = tableSchemaFromRelation(
      this.context,
      relation,
      rows.map((r) => r.type),
      this.types.describe,
      catalog,
      previous,
    );
    const schema = previous && sameShape(previous, next) ? previous : next;
    this.byOid.set(oid, schema);
    return schema;
  }
}

/** True when two schemas would encode rows the same way (same object identity is then kept). */
export function sameShape(a: TableSchema, b: TableSchema): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
