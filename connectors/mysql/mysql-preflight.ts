import type { Connection, RowDataPacket } from 'mysql2/promise';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { compareMysqlPositions, type MysqlPosition } from './mysql-offset.js';

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
): Promise<void> {
  const where = `source ${source}`;
  const variables = await readVariables(connection, [
    'log_bin',
    'binlog_format',
    'binlog_row_image',
    'binlog_row_metadata',
  ]);
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

  await checkPrivileges(connection, where);
  if (storedPosition) await checkPositionAvailable(connection, source, storedPosition);
}

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

/**
 * SHOW GRANTS lists what the connected user holds. MariaDB calls REPLICATION
 * CLIENT "BINLOG MONITOR"; either name counts.
 */
async function checkPrivileges(connection: Connection, where: string): Promise<void> {
  const [rows] = await connection.query<RowDataPacket[]>('SHOW GRANTS');
  const grants = rows.map((r) => String(Object.values(r)[0]).toUpperCase());
  const global = grants.filter((g) => / ON \*\.\* TO /.test(g)).join(' ');
  const has = (privilege: string) => global.includes('ALL PRIVILEGES') || global.includes(privilege);
  const missing: string[] = [];
  if (!has('REPLICATION SLAVE') && !has('REPLICATION REPLICA')) missing.push('REPLICATION SLAVE');
  if (!has('REPLICATION CLIENT') && !has('BINLOG MONITOR')) missing.push('REPLICATION CLIENT');
  if (missing.length > 0) {
    throw new RowkubeError(
      ErrorCode.PRIVILEGES,
      `${where}: the capture user lacks ${missing.join(' and ')}; run GRANT ${missing.join(', ')} ON *.* TO <user>`,
    );
  }
}

/** A stored position in a purged binlog file cannot be resumed: a new snapshot is needed. */
async function checkPositionAvailable(
  connection: Connection,
  source: string,
  position: MysqlPosition,
): Promise<void> {
  const where = `source ${source}`;
  const [rows] = await connection.query<RowDataPacket[]>('SHOW BINARY LOGS');
  const files = rows.map((r) => String(r.Log_name));
  const oldest = files[0];
  if (!files.includes(position.file)) {
    const purged = oldest !== undefined && compareMysqlPositions(position, { file: oldest, pos: 4 }) < 0;
    throw new RowkubeError(
      ErrorCode.POSITION_PURGED,
      `${where}: the stored position ${position.file}:${position.pos} is ${purged ? 'in a purged binlog file' : 'in a binlog file the server does not have'}` +
        ` (oldest available: ${oldest ?? 'none'}); the changes since are gone: run 'rowkube snapshot --source ${source}' to take a new snapshot ` +
        '(rows deleted meanwhile become deletions), and keep binlogs longer (binlog_expire_logs_seconds)',
    );
  }
}
