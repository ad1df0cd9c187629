import { canonicalJson } from '../contracts/index.js';
import type { Row } from '../core/change-event.js';
import type { HubConfig } from '../core/config/hub-schema.js';
import { ErrorCode } from '../core/errors.js';
import { type NodeError, nodeError, ROW_ERROR_CODE } from './node-error.js';
import { templateValue, UntemplatableValueError } from './template-value.js';

// The variables a form's templates and a hub's filter see for one row. Built
// from the row alone (plus its lookup rows), converted to plain JSON data by
// templateValue, so that rendering is a function of the data and renders the
// same in a replay or in another process.

/** Rows of each lookup table that match the hub row, by lookup name. */
export type LookupRows = ReadonlyMap<string, readonly Row[]>;

export type NodeVariablesResult =
  | { ok: true; uid: string; variables: Record<string, unknown> }
  | { ok: false; error: NodeError };

const BUILT_IN = new Set(['uid', 'row']);

/**
 * - `uid`: the uid column's value as text (a bigint as its decimal digits, a
 *   Buffer as base64); NULL, missing or blank is an error, since the node
 *   would have no id;
 * - `row`: the whole row, each value converted by templateValue;
 * - each `values` entry: variable → its column's converted value;
 * - each lookup: its matching rows as a list, converted, sorted by their
 *   canonical JSON text. The hub configuration does not know the lookup
 *   table's primary key, and the JSON text orders any rows totally (two rows
 *   with the same text are indistinguishable to a template anyway), so the
 *   order never depends on arrival order. A lookup without an entry in
 *   `lookups` has no matching rows: [].
 * A configured column missing from the row (a typo, or a column dropped by DDL)
 * is an error (ROWKUBE_ERR_CONFIG), never a silent null; so is a variable name
 * used twice (a value or lookup named `uid` or `row`, or a lookup named like a
 * value), which would otherwise hide one of them.
 */
export function nodeVariables(hub: HubConfig, row: Row, lookupRows: LookupRows): NodeVariablesResult {
  const where = `hub '${hub.name}'`;
  const clash = variableClash(hub);
  if (clash) return fail(ErrorCode.CONFIG, `${where}: the variable '${clash}' is defined twice; rename it`);

  const missing = [hub.uid, ...Object.values(hub.values)].find((column) => !Object.hasOwn(row, column));
  if (missing !== undefined) {
    return fail(
      ErrorCode.CONFIG,
      `${where}: the row has no column '${missing}'; check the hub's uid and values`,
    );
  }

  let converted: Record<string, unknown>;
  let lookups: [string, unknown[]][];
  try {
    converted = templateValue(row) as Record<string, unknown>;
    lookups = hub.lookups.map((lookup) => [
      lookup.name,
      (lookupRows.get(lookup.name) ?? [])
        .map((lookupRow) => {
          const value = templateValue(lookupRow);
          return { value, text: canonicalJson(value) };
        })
        .sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
        .map(({ value }) => value),
    ]);
  } catch (error) {
    if (!(error instanceof UntemplatableValueError)) throw error;
    return fail(
      ROW_ERROR_CODE,
      error.reason === 'unchanged-toast'
        ? `${where}: a value was not sent by the database (unchanged TOAST); set REPLICA IDENTITY FULL on the table`
        : `${where}: a row value has no template form (a symbol or function)`,
    );
  }

  const uid = uidText(converted[hub.uid]);
  if (uid === undefined) {
    return fail(
      ROW_ERROR_CODE,
      `${where}: the uid column '${hub.uid}' is NULL or empty, so the row cannot be a node`,
    );
  }

  const variables: Record<string, unknown> = { uid, row: converted };
  for (const [variable, column] of Object.entries(hub.values)) variables[variable] = converted[column];
  for (const [name, list] of lookups) variables[name] = list;
  return { ok: true, uid, variables };
}

function fail(code: NodeError['code'], message: string): NodeVariablesResult {
  return { ok: false, error: nodeError(code, message) };
}

/** The first variable name defined twice, if any. */
function variableClash(hub: HubConfig): string | undefined {
  const seen = new Set(BUILT_IN);
  for (const name of [...Object.keys(hub.values), ...hub.lookups.map((lookup) => lookup.name)]) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** Text of an already converted uid value; undefined when there is none to speak of. */
export function uidText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined; // null, or an object (a JSON column is text, so this is not a uid)
}
