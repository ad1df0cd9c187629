import type { Connection, RowDataPacket } from 'mysql2/promise';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { compareMysqlPositions, type MysqlPosition } from './mysql-offset.js';
import { detectMysqlFlavour, type MysqlFlavour } from './mysql-snapshot-position.js';

export interface MysqlPreflightResult {
  flavour: MysqlFlavour;
  /**
   * MySQL only: the stored binlog file is gone, but its GTID set covers every
   * purged transaction, so the stream resumes from the GTID set instead.
   */
  resumeFromGtid: boolean;
  /** Settings that work but cost something (the message says what), for the log. */
  warnings: string[];
}

/**
 * Checks, before anything streams, every server setting and privilege binlog
 * capture depends on. Each failure is a RowkubeError whose code users can
 * search for and whose message names the setting and the fix; nothing is
 * retried, since none of these heals by waiting.
 */
export async function mysqlPreflight(
  connection: Connection,
  source: string,
  storedPosition: MysqlPosition | undefined,
): Promise<MysqlPreflightResult> {
  const where = `source ${source}`;
  const flavour = await detectMysqlFlavour(connection);
  const variables = await readVariables(connection, [
    'log_bin',
    'binlog_format',
    'binlog_row_image',
    'binlog_row_metadata',
    'gtid_mode',
    'binlog_row_value_options',
    'binlog_transaction_compression',
    'binlog_expire_logs_seconds',
  ]);
  const warnings = checkBinlogSettings(variables, flavour, where);
  const grants = await readGlobalGrants(connection);
  warnings.push(...checkPrivileges(grants, flavour, { snapshot: storedPosition === undefined }, where));
  const resumeFromGtid = storedPosition
    ? await checkPositionAvailable(connection, source, storedPosition, flavour)
    : false;
  return { flavour, resumeFromGtid, warnings };
}

/**
 * The server's binlog settings (SHOW GLOBAL VARIABLES) against what capture
 * needs: throws for a setting that loses or garbles changes, returns warnings
 * for ones that only cost something. Settings the server lacks (MariaDB has
 * no gtid_mode, binlog_row_value_options or binlog_transaction_compression)
 * are not checked.
 */
export function checkBinlogSettings(
  variables: Record<string, string | undefined>,
  flavour: MysqlFlavour,
  where: string,
): string[] {
  if (variables.log_bin !== 'ON') {
    throw new RowkubeError(
      ErrorCode.BINLOG_DISABLED,
      `${where}: the binary log is off (log_bin=${variables.log_bin ?? 'unset'}); start the server with log_bin and a server_id`,
    );
  }
  expectSetting(variables, 'binlog_format', 'ROW', ErrorCode.BINLOG_FORMAT, where);
  expectSetting(variables, 'binlog_row_image', 'FULL', ErrorCode.BINLOG_ROW_IMAGE, where);
  // Without FULL row metadata the binlog carries no column names, and after an
  // ALTER TABLE values would be matched to the wrong columns.
  expectSetting(variables, 'binlog_row_metadata', 'FULL', ErrorCode.BINLOG_ROW_METADATA, where);
  // PARTIAL_JSON writes only the changed paths of a JSON column: no full after-image.
  if (/PARTIAL_JSON/i.test(variables.binlog_row_value_options ?? '')) {
    throw new RowkubeError(
      ErrorCode.BINLOG_ROW_VALUE_OPTIONS,
      `${where}: binlog_row_value_options is ${variables.binlog_row_value_options}: updates of JSON columns are written as partial diffs the binlog reader cannot decode; set binlog_row_value_options='' in the server configuration`,
    );
  }
  // Compressed transactions arrive as TRANSACTION_PAYLOAD events, which the binlog reader skips.
  if (variables.binlog_transaction_compression?.toUpperCase() === 'ON') {
    throw new RowkubeError(
      ErrorCode.BINLOG_COMPRESSION,
      `${where}: binlog_transaction_compression is ON: compressed transactions cannot be read by rowkube's binlog reader and their changes would be lost; set binlog_transaction_compression=OFF in the server configuration`,
    );
  }
  const warnings: string[] = [];
  const gtidMode = variables.gtid_mode;
  if (flavour === 'mysql' && gtidMode !== undefined && gtidMode.toUpperCase() !== 'ON') {
    warnings.push(
      `${where}: gtid_mode is ${gtidMode}: positions carry no GTID set, so capture resumes by binlog file and position only and needs a new snapshot once that file is purged; set gtid_mode=ON and enforce_gtid_consistency=ON to resume by GTIDs`,
    );
  }
  const expire = Number(variables.binlog_expire_logs_seconds);
  if (Number.isFinite(expire) && expire > 0 && expire < MIN_RETENTION_SECONDS) {
    warnings.push(
      `${where}: binlog_expire_logs_seconds is ${expire}: a capture stopped for longer than that finds its position purged and must snapshot again; keep binlogs for days (e.g. 604800)`,
    );
  }
  return warnings;
}

// Below a day of binlog, a capture that is down over a night loses its place.
const MIN_RETENTION_SECONDS = 86_400;

async function readVariables(
  connection: Connection,
  names: string[],
): Promise<Record<string, string | undefined>> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(() => '?').join(',')})`,
    names,
  );
  return Object.fromEntries(rows.map((r) => [String(r.Variable_name), String(r.Value)]));
}

function expectSetting(
  variables: Record<string, string | undefined>,
  name: string,
  expected: string,
  code: ErrorCode,
  where: string,
): void {
  const actual = variables[name];
  if (actual === undefined) {
    throw new RowkubeError(
      code,
      `${where}: the server has no ${name} setting; rowkube needs a server that supports ${name}=${expected} (MariaDB ≥ 10.5, MySQL ≥ 8.0)`,
    );
  }
  if (actual.toUpperCase() !== expected) {
    throw new RowkubeError(
      code,
      `${where}: ${name} is ${actual}; set ${name}=${expected} in the server configuration`,
    );
  }
}

/** The connected user's global privileges, as SHOW GRANTS lists them (upper case, joined). */
async function readGlobalGrants(connection: Connection): Promise<string> {
  const [rows] = await connection.query<RowDataPacket[]>('SHOW GRANTS');
  const grants = rows.map((r) => String(Object.values(r)[0]).toUpperCase());
  return grants.filter((g) => / ON \*\.\* TO /.test(g)).join(' ');
}

/**
 * What the capture user must hold: REPLICATION SLAVE (MySQL 8.4 also says
 * REPLICATION REPLICA) to stream, REPLICATION CLIENT (MariaDB: BINLOG
 * MONITOR) to read positions, and on MySQL, when a snapshot is due, RELOAD
 * for the read lock of a few milliseconds or BACKUP_ADMIN for the backup
 * lock (mysql-snapshot-position.ts). Throws naming what is missing; returns
 * a warning when only the backup lock is possible.
 */
export function checkPrivileges(
  globalGrants: string,
  flavour: MysqlFlavour,
  due: { snapshot: boolean },
  where: string,
): string[] {
  const has = (privilege: string) =>
    globalGrants.includes('ALL PRIVILEGES') || new RegExp(`(^|[ ,])${privilege}([ ,]|$)`).test(globalGrants);
  const missing: string[] = [];
  if (!has('REPLICATION SLAVE') && !has('REPLICATION REPLICA')) missing.push('REPLICATION SLAVE');
  if (!has('REPLICATION CLIENT') && !has('BINLOG MONITOR')) missing.push('REPLICATION CLIENT');
  if (missing.length > 0) {
    throw new RowkubeError(
      ErrorCode.PRIVILEGES,
      `${where}: the capture user lacks ${missing.join(' and ')}; run GRANT ${missing.join(', ')} ON *.* TO <user>`,
    );
  }
  if (flavour !== 'mysql' || !due.snapshot || has('RELOAD')) return [];
  if (has('BACKUP_ADMIN')) {
    return [
      `${where}: the capture user has BACKUP_ADMIN but not RELOAD: the snapshot learns its position under the backup lock, which does not stop commits, so transactions committed while the snapshot opens are streamed a second time; GRANT RELOAD ON *.* TO <user> for an exact position`,
    ];
  }
  throw new RowkubeError(
    ErrorCode.PRIVILEGES,
    `${where}: a MySQL snapshot needs a lock of a few milliseconds to learn its binlog position, and the capture user may take none; run GRANT RELOAD ON *.* TO <user> (FLUSH TABLES WITH READ LOCK, exact) or GRANT BACKUP_ADMIN ON *.* TO <user> (LOCK INSTANCE FOR BACKUP, at-least-once)`,
  );
}

/**
 * A stored position in a purged binlog file cannot be resumed: a new snapshot
 * is needed. On MySQL, a stored GTID set that still covers every purged
 * transaction (@@gtid_purged) resumes from the set instead: returns true then.
 */
async function checkPositionAvailable(
  connection: Connection,
  source: string,
  position: MysqlPosition,
  flavour: MysqlFlavour,
): Promise<boolean> {
  const where = `source ${source}`;
  const [rows] = await connection.query<RowDataPacket[]>('SHOW BINARY LOGS');
  const files = rows.map((r) => String(r.Log_name));
  const oldest = files[0];
  if (files.includes(position.file)) return false;
  if (flavour === 'mysql' && position.gtid?.includes(':')) {
    const [covered] = await connection.query<RowDataPacket[]>(
      'SELECT GTID_SUBSET(@@GLOBAL.gtid_purged, ?) AS covered, @@GLOBAL.gtid_mode AS mode',
      [position.gtid],
    );
    if (Number(covered[0]?.covered) === 1 && String(covered[0]?.mode).toUpperCase() === 'ON') return true;
  }
  const purged = oldest !== undefined && compareMysqlPositions(position, { file: oldest, pos: 4 }) < 0;
  throw new RowkubeError(
    ErrorCode.POSITION_PURGED,
    `${where}: the stored position ${position.file}:${position.pos} is ${purged ? 'in a purged binlog file' : 'in a binlog file the server does not have'}` +
      ` (oldest available: ${oldest ?? 'none'}${position.gtid?.includes(':') ? '; its GTID set no longer covers @@gtid_purged either' : ''}); the changes since are gone: run 'rowkube snapshot --source ${source}' to take a new snapshot ` +
      '(rows deleted meanwhile become deletions), and keep binlogs longer (binlog_expire_logs_seconds)',
  );
}

/**
 * An error the binlog reader reports while streaming, as rowkube's error.
 * Compressed transactions and partial JSON updates can be switched on per
 * session, past preflight's check of the global settings: the reader then
 * skips them, and streaming on would lose their changes, so that stops
 * capture for good. Anything else is a lost connection, tried again.
 */
export function binlogReadError(source: string, error: Error): RowkubeError {
  if (/TRANSACTION_PAYLOAD_EVENT/.test(error.message)) {
    return new RowkubeError(
      ErrorCode.BINLOG_COMPRESSION,
      `source ${source}: the binlog holds a compressed transaction (binlog_transaction_compression=ON in some session), which rowkube cannot read; set it OFF globally and for every writer, then take a new snapshot`,
      false,
      { cause: error },
    );
  }
  if (/PARTIAL_UPDATE_ROWS_EVENT/.test(error.message)) {
    return new RowkubeError(
      ErrorCode.BINLOG_ROW_VALUE_OPTIONS,
      `source ${source}: the binlog holds a partial JSON update (binlog_row_value_options=PARTIAL_JSON in some session), which has no full row image; clear it globally and for every writer, then take a new snapshot`,
      false,
      { cause: error },
    );
  }
  return new RowkubeError(
    ErrorCode.SOURCE_CONNECTION,
    `source ${source}: binlog connection failed: ${error.message}`,
    true,
    { cause: error },
  );
}
