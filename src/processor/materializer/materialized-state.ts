import { type Row, UNCHANGED_TOAST } from '../../core/change-event.js';
import type { HubConfig } from '../../core/config/hub-schema.js';
import { keyText, type TableChange } from './table-change.js';

// The rows the processor renders from, held in memory and rebuilt by replaying
// the (compacted) change topics. Each hub keeps its own copy of its table and
// of each lookup table, so two hubs over one table never see each other's
// bookkeeping; memory is traded for simplicity.

type LookupConfig = HubConfig['lookups'][number];

/** Which stored tables a change is written to: hub tables, lookup tables, or both. */
export type TableRole = 'hub' | 'lookup' | 'any';

/** What one change did to one stored table. `before` is the stored row (or the envelope's, if none was stored). */
export type RowEffect =
  | { kind: 'hub'; hub: string; key: string; before: Row | null; after: Row | null }
  | { kind: 'lookup'; hub: string; lookup: string; key: string; before: Row | null; after: Row | null };

export interface ApplyOutcome {
  effects: RowEffect[];
  /**
   * Unchanged TOAST columns with no earlier row to take the value from. They
   * hold UNCHANGED_TOAST, so rendering reports a row error (REPLICA IDENTITY
   * FULL) instead of rendering a made-up null.
   */
  unfilled: string[];
}

/** Rows by primary key, plus an index from a column's value (as uid text) to the keys holding it. */
class IndexedTable {
  readonly rows = new Map<string, Row>();
  readonly byValue = new Map<string, Set<string>>();

  constructor(readonly column: string) {}

  /** Keys of the rows whose indexed column has this text. */
  keysFor(value: string): ReadonlySet<string> {
    return this.byValue.get(value) ?? new Set();
  }

  put(key: string, row: Row | null): Row | null {
    const previous = this.rows.get(key) ?? null;
    if (previous !== null) this.unindex(key, previous);
    if (row === null) this.rows.delete(key);
    else {
      this.rows.set(key, row);
      const value = keyText(row[this.column]);
      if (value !== undefined) {
        const keys = this.byValue.get(value) ?? new Set<string>();
        keys.add(key);
        this.byValue.set(value, keys);
      }
    }
    return previous;
  }

  private unindex(key: string, row: Row): void {
    const value = keyText(row[this.column]);
    if (value === undefined) return;
    const keys = this.byValue.get(value);
    keys?.delete(key);
    if (keys?.size === 0) this.byValue.delete(value);
  }
}

interface HubTables {
  hub: HubConfig;
  /** Indexed by the uid column: node id → row. */
  rows: IndexedTable;
  /** By lookup name; indexed by the lookup's key column: uid → matching rows. */
  lookups: Map<string, { lookup: LookupConfig; table: IndexedTable }>;
}

export class MaterializedState {
  private readonly hubs = new Map<string, HubTables>();

  constructor(hubs: readonly HubConfig[]) {
    for (const hub of hubs) {
      const lookups = new Map(
        hub.lookups.map((lookup) => [lookup.name, { lookup, table: new IndexedTable(lookup.key) }]),
      );
      this.hubs.set(hub.name, { hub, rows: new IndexedTable(hub.uid), lookups });
    }
  }

  /**
   * Upserts (c, r, u) or deletes (d, tombstone) the row in every hub and
   * lookup over this table, or empties those tables (t, a truncate); `role` limits it to hub tables or lookup tables,
   * for a processor that reads the two from different places (hub partitions
   * it owns, lookups whole).
   */
  apply(change: TableChange, role: TableRole = 'any'): ApplyOutcome {
    const outcome: ApplyOutcome = { effects: [], unfilled: [] };
    if (!('tombstone' in change) && change.op === 't') return this.truncate(change, role, outcome);
    for (const { hub, rows, lookups } of this.hubs.values()) {
      if (change.source !== undefined && change.source !== hub.source) continue;
      if (role !== 'lookup' && hub.table === change.table) {
        const [before, after] = this.write(rows, change, outcome);
        outcome.effects.push({ kind: 'hub', hub: hub.name, key: change.key, before, after });
      }
      for (const { lookup, table } of lookups.values()) {
        if (role === 'hub' || lookup.table !== change.table) continue;
        const [before, after] = this.write(table, change, outcome);
        outcome.effects.push({
          kind: 'lookup',
          hub: hub.name,
          lookup: lookup.name,
          key: change.key,
          before,
          after,
        });
      }
    }
    return outcome;
  }

  /** A truncate (op 't'): every stored row of the table is deleted, each with its own effect. */
  private truncate(change: TableChange, role: TableRole, outcome: ApplyOutcome): ApplyOutcome {
    const empty = (table: IndexedTable, effect: (key: string, before: Row) => RowEffect) => {
      for (const [key, before] of [...table.rows]) {
        table.put(key, null);
        outcome.effects.push(effect(key, before));
      }
    };
    for (const { hub, rows, lookups } of this.hubs.values()) {
      if (change.source !== undefined && change.source !== hub.source) continue;
      if (role !== 'lookup' && hub.table === change.table)
        empty(rows, (key, before) => ({ kind: 'hub', hub: hub.name, key, before, after: null }));
      for (const { lookup, table } of lookups.values()) {
        if (role === 'hub' || lookup.table !== change.table) continue;
        empty(table, (key, before) => ({
          kind: 'lookup',
          hub: hub.name,
          lookup: lookup.name,
          key,
          before,
          after: null,
        }));
      }
    }
    return outcome;
  }

  /** Forgets every hub row (lookups stay): the hub partitions this processor owns changed. */
  clearHubRows(): void {
    for (const tables of this.hubs.values()) tables.rows = new IndexedTable(tables.hub.uid);
  }

  /** Every uid some row of the hub has, sorted. */
  hubUids(hub: string): string[] {
    return [...(this.hubs.get(hub)?.rows.byValue.keys() ?? [])].sort();
  }

  /** Keys of the hub's rows whose uid has this text (more than one is a data problem the renderer reports). */
  hubKeys(hub: string, uid: string): string[] {
    return [...(this.hubs.get(hub)?.rows.keysFor(uid) ?? [])].sort();
  }

  hubRow(hub: string, key: string): Row | undefined {
    return this.hubs.get(hub)?.rows.rows.get(key);
  }

  /** Each lookup's rows whose key column equals the uid, by lookup name. */
  lookupRows(hub: string, uid: string): Map<string, Row[]> {
    const result = new Map<string, Row[]>();
    for (const [name, { table }] of this.hubs.get(hub)?.lookups ?? []) {
      const rows = [...table.keysFor(uid)].sort().map((key) => table.rows.get(key) as Row);
      result.set(name, rows);
    }
    return result;
  }

  private write(table: IndexedTable, change: TableChange, outcome: ApplyOutcome): [Row | null, Row | null] {
    const stored = table.rows.get(change.key) ?? null;
    // A d (or c/r/u without a row, which no connector sends) removes the row, as a tombstone does.
    if ('tombstone' in change || change.op === 'd' || change.after === null) {
      table.put(change.key, null);
      return [stored ?? ('tombstone' in change ? null : change.before), null];
    }
    const after = fillUnchanged(change.after, change.unchanged, stored, outcome.unfilled);
    table.put(change.key, after);
    return [stored ?? change.before, after];
  }
}

/**
 * PostgreSQL sends no value for a TOASTed column that did not change; the
 * previous version of the row has it. Without one (the processor started
 * after that row's last full image was compacted away) the value is unknown.
 */
function fillUnchanged(
  after: Row,
  unchanged: readonly string[],
  previous: Row | null,
  unfilled: string[],
): Row {
  if (unchanged.length === 0) return after;
  const row: Row = { ...after };
  for (const column of unchanged) {
    if (previous !== null && Object.hasOwn(previous, column)) row[column] = previous[column];
    else {
      row[column] = UNCHANGED_TOAST;
      if (!unfilled.includes(column)) unfilled.push(column);
    }
  }
  return row;
}
