import type { ColumnSpec, SchemaVersion, SourcePosition, TableSchema } from '../../src/core/change-event.js';
import { columnsMatch } from './mysql-schema.js';

// Which definition describes a binlog row event, from the source's schema
// history (ChangeSink.recordSchema, stored in `<prefix>._schema_history`).
// Pure: no I/O; the stream hands in what it knows and records what this
// returns as new.
//
// A row event names its columns (binlog_row_metadata=FULL) but not their
// meaning: the binlog's types say tinyint where the table says BOOLEAN,
// longtext where MariaDB's JSON is meant, and nullable for the key. So an
// event is described by a table definition, the one in force at its position:
// 1. the latest recorded definition at or before the event, when the event's
//    column names are that definition's;
// 2. else the table's current definition, when the names are its names (an
//    ALTER the history has not seen yet);
// 3. else (several ALTERs while capture was down: the event is from a
//    definition that no longer exists) a definition built from the event's
//    column names, each column's kind, nullability and source type taken from
//    the known definitions by name, and the key from them too, so BOOLEAN,
//    JSON and the key bytes never drift. A column no definition knows is
//    described from the binlog's own metadata.

/** How an event's definition was found (for logs and tests). */
export type SchemaSource = 'history' | 'current' | 'rebuilt';

export interface ResolvedSchema {
  schema: TableSchema;
  how: SchemaSource;
  /** Columns no known definition had: described from the binlog's metadata alone. */
  unknownColumns: string[];
}

/** Column names of a row event and the binlog's own description of those it has to fall back on. */
export interface EventColumns {
  names: readonly string[];
  /** A column the known definitions lack, described from the binlog (kind from its type, nullable). */
  describe(name: string): ColumnSpec;
}

export class MysqlSchemaHistory {
  /** Per table name: versions in position order (ties in the order recorded). */
  private readonly versions = new Map<string, SchemaVersion[]>();

  /**
   * `stored` is the source's history as loaded (any database of the source:
   * entries of other databases are ignored); `compare` orders positions.
   */
  constructor(
    private readonly database: string,
    private readonly compare: (a: SourcePosition, b: SourcePosition) => number,
    stored: readonly SchemaVersion[] = [],
  ) {
    for (const version of stored) if (version.table.database === database) this.add(version);
  }

  /** The definition of `table` in force at `position`: the latest at or before it. */
  inForce(table: string, position: SourcePosition): TableSchema | undefined {
    const list = this.versions.get(table);
    if (list === undefined) return undefined;
    let found: TableSchema | undefined;
    for (const version of list) {
      if (this.compare(version.position, position) > 0) break;
      found = version.table;
    }
    return found;
  }

  /** Every known definition of `table`, newest first. */
  known(table: string): TableSchema[] {
    return [...(this.versions.get(table) ?? [])].reverse().map((v) => v.table);
  }

  /**
   * Adds a version (one recorded now, or loaded). Returns false, adding
   * nothing, when the same definition is already in force at its position.
   */
  add(version: SchemaVersion): boolean {
    const { table, position } = version;
    if (table.database !== this.database) return false;
    const current = this.inForce(table.table, position);
    if (current !== undefined && sameDefinition(current, table)) return false;
    const list = this.versions.get(table.table) ?? [];
    let at = list.length;
    while (at > 0 && this.compare((list[at - 1] as SchemaVersion).position, position) > 0) at--;
    list.splice(at, 0, version);
    this.versions.set(table.table, list);
    return true;
  }

  /**
   * The definition that describes a row event of `table` at `position` with
   * the given columns, following the rules at the top of this file. `current`
   * is what the database says now (information_schema), when known.
   */
  resolve(
    table: string,
    position: SourcePosition,
    columns: EventColumns,
    current: TableSchema | undefined,
  ): ResolvedSchema {
    const inForce = this.inForce(table, position);
    if (inForce !== undefined && columnsMatch(inForce, columns.names))
      return { schema: inForce, how: 'history', unknownColumns: [] };
    if (current !== undefined && columnsMatch(current, columns.names))
      return { schema: current, how: 'current', unknownColumns: [] };
    const candidates = [inForce, current, ...this.known(table)].filter(
      (s): s is TableSchema => s !== undefined,
    );
    return rebuild(columns, candidates);
  }
}

/** Equal definitions, whatever order their object keys were built in. */
export function sameDefinition(a: TableSchema, b: TableSchema): boolean {
  return (
    a.source === b.source &&
    a.database === b.database &&
    a.schema === b.schema &&
    a.table === b.table &&
    a.primaryKey.length === b.primaryKey.length &&
    a.primaryKey.every((k, i) => k === b.primaryKey[i]) &&
    a.columns.length === b.columns.length &&
    a.columns.every((c, i) => {
      const d = b.columns[i] as ColumnSpec;
      return (
        c.name === d.name && c.kind === d.kind && c.nullable === d.nullable && c.sourceType === d.sourceType
      );
    })
  );
}

/** A definition from the event's column names, each column taken from the first candidate that has it. */
function rebuild(columns: EventColumns, candidates: readonly TableSchema[]): ResolvedSchema {
  const base = candidates[0];
  if (base === undefined) throw new TypeError('a row event of a table without any known definition');
  const unknownColumns: string[] = [];
  const specs = columns.names.map((name) => {
    for (const candidate of candidates) {
      const spec = candidate.columns.find((c) => c.name === name);
      if (spec !== undefined) return spec;
    }
    unknownColumns.push(name);
    return columns.describe(name);
  });
  // The key of the definition closest to the event whose key columns the event has.
  const present = new Set(columns.names);
  const keyed = candidates.find((c) => c.primaryKey.length > 0 && c.primaryKey.every((k) => present.has(k)));
  const primaryKey = keyed?.primaryKey ?? base.primaryKey.filter((k) => present.has(k));
  return {
    schema: { ...base, columns: specs, primaryKey: [...primaryKey] },
    how: 'rebuilt',
    unknownColumns,
  };
}
