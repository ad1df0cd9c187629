import type { Row } from '../src/core/change-event.js';

// The signal table (Debezium's design): a table in the source database that
// capture reads from the log like the captured tables, but never publishes.
// A row inserted into it asks the running capture for something; capture
// itself inserts the watermark rows of incremental snapshots into it.
//
//   CREATE TABLE rowkube_signal (id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, data TEXT)
//
// Rows are only ever inserted; capture reacts to inserts alone (an update or
// delete of a signal row means nothing), so old rows may be deleted at will.

/** The signal table's name when a source names none. */
export const DEFAULT_SIGNAL_TABLE = 'rowkube_signal';

/** The signal types capture knows. */
export const SignalType = {
  /** data: {"tables": ["tenants", …]}: an incremental snapshot of each table. */
  EXECUTE_SNAPSHOT: 'execute-snapshot',
  /** Written by capture before it reads a chunk. */
  WINDOW_OPEN: 'snapshot-window-open',
  /** Written by capture after it read a chunk. */
  WINDOW_CLOSE: 'snapshot-window-close',
} as const;

/** One row of the signal table. */
export interface SignalRow {
  id: string;
  type: string;
  data: string | null;
}

/** What a signal row asks for. */
export type Signal =
  | { kind: 'execute-snapshot'; id: string; tables: string[] }
  | { kind: 'watermark'; id: string }
  /** A row capture cannot act on; `problem` says why, for the log. */
  | { kind: 'invalid'; id: string; problem: string };

/** Reads a signal row as the stream delivers it (columns id, type, data). */
export function parseSignal(row: Row): Signal {
  const id = String(row.id ?? '');
  const type = row.type;
  if (type === SignalType.WINDOW_OPEN || type === SignalType.WINDOW_CLOSE) return { kind: 'watermark', id };
  if (type !== SignalType.EXECUTE_SNAPSHOT) {
    return {
      kind: 'invalid',
      id,
      problem: `unknown signal type ${JSON.stringify(type)} (known: ${Object.values(SignalType).join(', ')})`,
    };
  }
  let data: unknown;
  try {
    data = JSON.parse(String(row.data ?? ''));
  } catch {
    return {
      kind: 'invalid',
      id,
      problem: `data is not JSON: ${JSON.stringify(row.data)}; want {"tables": ["<table>", …]}`,
    };
  }
  // "data-collections" is Debezium's spelling of the same list.
  const record = (data ?? {}) as Record<string, unknown>;
  const tables = record.tables ?? record['data-collections'];
  if (
    !Array.isArray(tables) ||
    tables.length === 0 ||
    !tables.every((t) => typeof t === 'string' && t !== '')
  ) {
    return {
      kind: 'invalid',
      id,
      problem: `data ${JSON.stringify(row.data)} names no tables; want {"tables": ["<table>", …]}`,
    };
  }
  return { kind: 'execute-snapshot', id, tables: [...new Set(tables as string[])] };
}

/** The row `rowkube snapshot --table` inserts. */
export function executeSnapshotRow(id: string, tables: readonly string[]): SignalRow {
  return { id, type: SignalType.EXECUTE_SNAPSHOT, data: JSON.stringify({ tables }) };
}
