import { ErrorCode, RowkubeError } from './errors.js';

// The opt-in status table of a hub (`hubs[].status`): one row per node with
// its state, the source position it reflects and its last error, for the
// application to read from its own database. src/status/status-table-sync.ts
// decides what to write; a store of connectors/ writes it in the source's SQL.

/** One row of a status table: a node's status, flattened to columns. */
export interface StatusTableRow {
  /** `<form>/<uid>`: the primary key. */
  nodeId: string;
  hub: string;
  form: string;
  /** The hub row's uid, for the application's own lookups. */
  uid: string;
  state: string;
  objectsReady: number;
  objectsTotal: number;
  /** The source position the node reflects, as JSON text. */
  appliedPosition: string | null;
  /** Commit time of that row version by the database clock, ms since epoch. */
  commitTsMs: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  stateSinceMs: number;
  /** When the sink wrote this status, ms since epoch: a row is only ever replaced by a newer one. */
  updatedAtMs: number;
}

/**
 * The CONFIG error for a status table that lacks some of STATUS_TABLE_COLUMNS
 * (`have`: its column names, lower case), naming them; undefined when none is missing.
 */
export function missingColumnsError(label: string, have: ReadonlySet<string>): RowkubeError | undefined {
  const missing = STATUS_TABLE_COLUMNS.filter((c) => !have.has(c));
  if (missing.length === 0) return undefined;
  return new RowkubeError(
    ErrorCode.CONFIG,
    `${label} (hubs[].status) lacks the column(s) ${missing.join(', ')}; ` +
      'drop it to let rowkube create it, or add them as docs/status-table.md shows',
  );
}

/** Writes one status table in its database's SQL. */
export interface StatusTableStore {
  /** "source 'app' table 'tenant_status'", for messages. */
  readonly label: string;
  /**
   * Creates the table when it is missing and checks its columns. Throws a
   * CONFIG RowkubeError naming the table and what is wrong (a missing column,
   * no privilege) when retrying cannot help.
   */
  prepare(): Promise<void>;
  /** node id → updated_at (ms) of the rows of these forms. */
  rows(forms: readonly string[]): Promise<Map<string, number>>;
  /** Inserts or replaces rows; a row whose updated_at is newer than the given one is kept (another writer was ahead). */
  upsert(rows: readonly StatusTableRow[]): Promise<void>;
  remove(nodeIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** The columns a status table has, in its order; the stores create and check exactly these. */
export const STATUS_TABLE_COLUMNS = [
  'node_id',
  'hub',
  'form',
  'uid',
  'state',
  'objects_ready',
  'objects_total',
  'applied_position',
  'commit_ts',
  'error_code',
  'error_message',
  'state_since',
  'updated_at',
] as const;

/** A row's values in the order of STATUS_TABLE_COLUMNS, for the stores' multi-row statements. */
export function statusRowValues(row: StatusTableRow): unknown[] {
  return [
    row.nodeId,
    row.hub,
    row.form,
    row.uid,
    row.state,
    row.objectsReady,
    row.objectsTotal,
    row.appliedPosition,
    row.commitTsMs,
    row.errorCode,
    row.errorMessage,
    row.stateSinceMs,
    row.updatedAtMs,
  ];
}
