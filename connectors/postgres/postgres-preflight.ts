// Checks before a snapshot or a stream starts. Each failure is a RowkubeError
// with a stable code and a message that names the setting or table and says
// how to fix it; what only deserves attention comes back as warnings.

import type { Logger } from 'pino';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { type TableRef, tableLabel } from './postgres-connection.js';
import { formatLsn, type PostgresOffset, parseLsn } from './postgres-offset.js';
import { type CatalogTable, noPrimaryKey, type Queryable, readCatalogTable } from './postgres-schema.js';

export interface PreflightOptions {
  /** The configured tables. */
  tables: readonly TableRef[];
  /** The replication slot the source uses. */
  slot: string;
  /** The stored position, when there is one: the slot must still be able to resume from it. */
  offset: PostgresOffset | undefined;
  /** The configured source name, for the command in the POSITION_PURGED message. */
  source?: string | undefined;
}

export interface PreflightWarning {
  table?: string;
  message: string;
}

export interface PreflightResult {
  /** The configured tables as the catalog has them, in configuration order. */
  tables: CatalogTable[];
  /** The state of the slot, if it exists. */
  slot: SlotState | undefined;
  warnings: PreflightWarning[];
}

export interface SlotState {
  plugin: string | null;
  slotType: string;
  database: string | null;
  active: boolean;
  restartLsn: bigint | undefined;
  confirmedFlushLsn: bigint | undefined;
  /** reserved, extended, unreserved, lost (PostgreSQL 13+). */
  walStatus: string | null;
}

/**
 * Runs every check through `client` (a normal connection as the capture
 * user). Throws the first failure:
 * - WAL_LEVEL: wal_level is not logical.
 * - PRIVILEGES: the user has no REPLICATION attribute, or cannot SELECT a table.
 * - TABLE_NOT_FOUND: a configured table (or view, …) does not exist as a table.
 * - NO_PRIMARY_KEY: a configured table has no primary key.
 * - CONFIG: REPLICA IDENTITY NOTHING, or an identity index that does not cover the primary key;
 *   a slot of another plugin or database.
 * - POSITION_PURGED: a position is stored but the slot is gone, lost its WAL, or has moved past it.
 */
export async function runPreflight(client: Queryable, options: PreflightOptions): Promise<PreflightResult> {
  await checkWalLevel(client);
  await checkReplicationRole(client);
  const warnings: PreflightWarning[] = [];
  const tables: CatalogTable[] = [];
  for (const ref of options.tables) {
    const table = await checkTable(client, ref);
    tables.push(table);
    const toastWarning = toastGuidance(table);
    if (toastWarning) warnings.push(toastWarning);
  }
  const slot = await readSlot(client, options.slot);
  if (slot) await checkSlot(client, options.slot, slot);
  if (options.offset) checkPosition(options.slot, slot, options.offset, options.source);
  return { tables, slot, warnings };
}

async function checkWalLevel(client: Queryable): Promise<void> {
  const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
  const level = rows[0]?.wal_level;
  if (level !== 'logical') {
    throw new RowkubeError(
      ErrorCode.WAL_LEVEL,
      `wal_level is '${level}', logical decoding needs 'logical': run ALTER SYSTEM SET wal_level = logical ` +
        '(or set it in postgresql.conf; on managed services, enable logical replication in the parameter group) ' +
        'and restart PostgreSQL',
    );
  }
}

async function checkReplicationRole(client: Queryable): Promise<void> {
  const { rows } = await client.query<{ rolname: string; rolreplication: boolean; rolsuper: boolean }>(
    'SELECT rolname, rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user',
  );
  const role = rows[0];
  if (role && !role.rolreplication && !role.rolsuper) {
    throw new RowkubeError(
      ErrorCode.PRIVILEGES,
      `role ${role.rolname} lacks the REPLICATION attribute needed for a replication slot: ` +
        `ALTER ROLE ${role.rolname} REPLICATION (on RDS/Cloud SQL: GRANT rds_replication / cloudsqlsuperuser)`,
    );
  }
}

async function checkTable(client: Queryable, ref: TableRef): Promise<CatalogTable> {
  const label = tableLabel(ref);
  const table = await readCatalogTable(client, ref);
  if (!table || (table.relkind !== 'r' && table.relkind !== 'p')) {
    const what = table
      ? `is not a table (relkind ${table.relkind}): logical decoding sees base tables only`
      : 'not found';
    throw new RowkubeError(
      ErrorCode.TABLE_NOT_FOUND,
      `table ${label} ${what}; check the source's tables (names are case-sensitive; "table" means public.table)`,
    );
  }
  const { rows } = await client.query<{ allowed: boolean }>(
    "SELECT has_table_privilege($1::oid, 'SELECT') AS allowed",
    [table.oid],
  );
  if (!rows[0]?.allowed) {
    throw new RowkubeError(
      ErrorCode.PRIVILEGES,
      `the capture user cannot read ${label} (needed for the snapshot): GRANT SELECT ON ${label} TO <capture user>, ` +
        'or GRANT pg_read_all_data TO <capture user>',
    );
  }
  if (table.primaryKey.length === 0) throw noPrimaryKey(ref);
  if (table.replicaIdentity === 'n') {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `table ${label} has REPLICA IDENTITY NOTHING: updates and deletes would carry no key (and PostgreSQL refuses ` +
        `them on a published table): ALTER TABLE ${label} REPLICA IDENTITY DEFAULT`,
    );
  }
  if (
    table.replicaIdentity === 'i' &&
    !table.primaryKey.every((c) => table.replicaIdentityColumns.includes(c))
  ) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `table ${label} has REPLICA IDENTITY USING INDEX on (${table.replicaIdentityColumns.join(', ')}), which does ` +
        `not cover the primary key (${table.primaryKey.join(', ')}): a primary-key change would lose the old key; ` +
        `ALTER TABLE ${label} REPLICA IDENTITY DEFAULT (or FULL)`,
    );
  }
  return table;
}

/**
 * Under REPLICA IDENTITY DEFAULT an update does not carry values stored out of
 * line (TOAST, typically > 2 kB) that it did not change: they arrive as
 * UNCHANGED_TOAST, and before-images hold the key only. FULL sends the old row
 * (values included), at the cost of more WAL per update and delete.
 */
export function toastGuidance(table: CatalogTable): PreflightWarning | undefined {
  if (table.replicaIdentity !== 'd') return undefined;
  const toastable = table.columns.filter((c) => c.storage === 'x' || c.storage === 'e').map((c) => c.name);
  if (toastable.length === 0) return undefined;
  const label = tableLabel(table.ref);
  return {
    table: label,
    message:
      `table ${label} has REPLICA IDENTITY DEFAULT and columns that PostgreSQL may store out of line ` +
      `(${toastable.join(', ')}): an update that leaves such a value unchanged does not carry it (the change marks ` +
      `it unchanged), and before-images hold only the key. For full before-images and values: ` +
      `ALTER TABLE ${label} REPLICA IDENTITY FULL`,
  };
}

export async function readSlot(client: Queryable, slot: string): Promise<SlotState | undefined> {
  const { rows } = await client.query<{
    plugin: string | null;
    slot_type: string;
    database: string | null;
    active: boolean;
    restart_lsn: string | null;
    confirmed_flush_lsn: string | null;
    wal_status: string | null;
  }>(
    'SELECT plugin, slot_type, database, active, restart_lsn::text AS restart_lsn, ' +
      'confirmed_flush_lsn::text AS confirmed_flush_lsn, wal_status FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    plugin: row.plugin,
    slotType: row.slot_type,
    database: row.database,
    active: row.active,
    restartLsn: row.restart_lsn ? parseLsn(row.restart_lsn) : undefined,
    confirmedFlushLsn: row.confirmed_flush_lsn ? parseLsn(row.confirmed_flush_lsn) : undefined,
    walStatus: row.wal_status,
  };
}

/**
 * Ends the walsender that still holds the source's slot: an earlier capture
 * of this source that has not let go — a replica paused or cut off while its
 * connection stays open, which PostgreSQL notices only after
 * wal_sender_timeout (60 s by default). Capture opens its Kafka sink before
 * preflight, which fences that earlier capture's producer, so it can write
 * nothing more; waiting for the timeout would only delay a failover. A role
 * may end its own backends; when this one may not, the stream's start keeps
 * retrying until the slot is free, as before.
 */
export async function takeOverSlot(client: Queryable, slot: string, logger: Logger): Promise<void> {
  try {
    const { rows } = await client.query<{ pid: number; ended: boolean }>(
      'SELECT active_pid AS pid, pg_terminate_backend(active_pid) AS ended FROM pg_replication_slots ' +
        'WHERE slot_name = $1 AND active AND active_pid <> pg_backend_pid()',
      [slot],
    );
    for (const row of rows)
      logger.warn(
        { action: 'slot-takeover', slot, pid: row.pid, ended: row.ended },
        `replication slot ${slot} was held by backend ${row.pid}, an earlier capture of this source: ${row.ended ? 'ended it' : 'could not end it, waiting until it lets go'}`,
      );
  } catch (error) {
    logger.warn(
      { action: 'slot-takeover', slot, err: error },
      `replication slot ${slot} is held by another backend, which could not be ended: waiting until it lets go`,
    );
  }
}

async function checkSlot(client: Queryable, name: string, slot: SlotState): Promise<void> {
  const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
  if (slot.slotType !== 'logical' || slot.plugin !== 'pgoutput' || slot.database !== rows[0]?.db) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `replication slot ${name} is a ${slot.slotType} slot of plugin ${slot.plugin} on database ${slot.database}, ` +
        `not a pgoutput slot on ${rows[0]?.db}: configure another slot name, or drop it ` +
        `(SELECT pg_drop_replication_slot('${name}')) if nothing else uses it`,
    );
  }
}

/**
 * The slot must be able to resume exactly at the stored position. Everything
 * the connector acknowledges to the slot was stored first (commits, and idle
 * keepalive positions too), so a slot past the stored position means that
 * changes between the two were consumed by something else, the slot was
 * advanced by hand, or the stored offsets were lost or rolled back.
 */
export function checkPosition(
  name: string,
  slot: SlotState | undefined,
  offset: PostgresOffset,
  source = '<source>',
): void {
  const stored = formatLsn(offset.lsn);
  const fix =
    `the changes since are gone: run 'rowkube snapshot --source ${source}' to take a new snapshot ` +
    '(capture then drops and recreates the slot, and rows deleted meanwhile become deletions)';
  if (!slot) {
    throw new RowkubeError(
      ErrorCode.POSITION_PURGED,
      `replication slot ${name} does not exist but a position (${stored}) is stored: ${fix}`,
    );
  }
  if (slot.walStatus === 'lost') {
    throw new RowkubeError(
      ErrorCode.POSITION_PURGED,
      `replication slot ${name} lost its WAL (wal_status lost, max_slot_wal_keep_size exceeded): ${fix}`,
    );
  }
  if (slot.confirmedFlushLsn !== undefined && slot.confirmedFlushLsn > offset.lsn) {
    throw new RowkubeError(
      ErrorCode.POSITION_PURGED,
      `replication slot ${name} is at ${formatLsn(slot.confirmedFlushLsn)}, past the stored position ${stored}: ${fix}`,
    );
  }
}
