import type { Connection, RowDataPacket } from 'mysql2/promise';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import type { MysqlPosition } from './mysql-offset.js';

// Opening a consistent snapshot and learning the binlog position it matches,
// the one step where MariaDB and Oracle's MySQL differ:
//
// - MariaDB reports the position of the snapshot itself (status variables
//   binlog_snapshot_file/position), so no lock is taken and writers never wait.
// - MySQL has no such status. A global read lock (FLUSH TABLES WITH READ LOCK,
//   privilege RELOAD) stops commits for the few milliseconds it takes to open
//   the snapshot and read SHOW BINARY LOG STATUS, so that position and
//   GTID set are exactly the snapshot's. Without RELOAD, the backup lock
//   (LOCK INSTANCE FOR BACKUP, privilege BACKUP_ADMIN) keeps DDL out while
//   performance_schema.log_status gives a position read just BEFORE the
//   snapshot opens: the backup lock does not stop commits, so transactions
//   committed in between are in the snapshot and streamed once more
//   (at-least-once; each is a full row image, so the topic converges).

/** Which server speaks the MySQL protocol: the two differ in GTIDs and snapshot positions. */
export type MysqlFlavour = 'mariadb' | 'mysql';

/** How the snapshot's position was learnt (for the log): exact, or at-least-once. */
export type SnapshotLock = 'none' | 'global-read-lock' | 'backup-lock';

export interface ConsistentSnapshot {
  /** Where streaming resumes; on MySQL with the executed GTID set at that point. */
  position: MysqlPosition;
  lock: SnapshotLock;
}

/** MariaDB says so in VERSION() ("10.11.6-MariaDB-0+deb12u1") or @@version_comment. */
export function flavourOf(version: string, versionComment: string): MysqlFlavour {
  return /mariadb/i.test(`${version} ${versionComment}`) ? 'mariadb' : 'mysql';
}

/** Asks the server once which flavour it is. */
export async function detectMysqlFlavour(connection: Connection): Promise<MysqlFlavour> {
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT VERSION() AS version, @@version_comment AS comment',
  );
  return flavourOf(String(rows[0]?.version ?? ''), String(rows[0]?.comment ?? ''));
}

/**
 * MySQL 8.2 renamed SHOW MASTER STATUS to SHOW BINARY LOG STATUS, and 8.4
 * removed the old name: the statement that reads the binlog position on this version.
 */
export function binaryLogStatusStatement(version: string): string {
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  return major > 8 || (major === 8 && minor >= 2) ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
}

// Waiting longer than this for the global read lock would stall every writer
// queued behind it (a long query holds the lock off): give up and say why.
const LOCK_WAIT_SECONDS = 10;

/**
 * Starts a REPEATABLE READ transaction WITH CONSISTENT SNAPSHOT on
 * `connection` and returns the binlog position it is consistent with. The
 * caller reads the tables in that transaction and commits it. `where` names
 * the source for messages.
 */
export async function openConsistentSnapshot(
  connection: Connection,
  flavour: MysqlFlavour,
  where: string,
): Promise<ConsistentSnapshot> {
  await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  if (flavour === 'mariadb') return { position: await openMariadbSnapshot(connection, where), lock: 'none' };
  const [rows] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
  const statement = binaryLogStatusStatement(String(rows[0]?.version ?? ''));
  await connection.query(`SET SESSION lock_wait_timeout = ${LOCK_WAIT_SECONDS}`);
  try {
    await connection.query('FLUSH TABLES WITH READ LOCK');
  } catch (error) {
    if (!isAccessDenied(error)) throw lockFailed(error, where, 'FLUSH TABLES WITH READ LOCK');
    return { position: await openUnderBackupLock(connection, where), lock: 'backup-lock' };
  }
  try {
    await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const [status] = await connection.query<RowDataPacket[]>(statement);
    return { position: positionFromStatus(status[0], where, statement), lock: 'global-read-lock' };
  } finally {
    // Held for milliseconds: only while the snapshot opens and the position is read.
    await connection.query('UNLOCK TABLES');
  }
}

async function openMariadbSnapshot(connection: Connection, where: string): Promise<MysqlPosition> {
  await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  const [status] = await connection.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
  const values = Object.fromEntries(
    status.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]),
  );
  const file = values.binlog_snapshot_file;
  const pos = Number(values.binlog_snapshot_position);
  if (!file || !Number.isInteger(pos) || pos < 4) {
    // Preflight has already checked that the binlog is on: the server lacks the status.
    throw new RowkubeError(
      ErrorCode.SNAPSHOT_POSITION,
      `${where}: the MariaDB server reports no binlog_snapshot_file/binlog_snapshot_position for its consistent snapshot; rowkube needs MariaDB ≥ 10.0 with log_bin on`,
    );
  }
  return { file, pos };
}

/** The fallback without RELOAD: at-least-once around the snapshot's opening (see the top). */
async function openUnderBackupLock(connection: Connection, where: string): Promise<MysqlPosition> {
  try {
    await connection.query('LOCK INSTANCE FOR BACKUP');
  } catch (error) {
    if (isAccessDenied(error)) {
      throw new RowkubeError(
        ErrorCode.PRIVILEGES,
        `${where}: a MySQL snapshot needs a short lock to learn its binlog position, and the capture user may take neither; run GRANT RELOAD ON *.* TO <user> (exact position, FLUSH TABLES WITH READ LOCK for milliseconds) or GRANT BACKUP_ADMIN ON *.* TO <user> (backup lock; transactions committing while the snapshot opens are streamed twice)`,
        false,
        { cause: error },
      );
    }
    throw lockFailed(error, where, 'LOCK INSTANCE FOR BACKUP');
  }
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT JSON_UNQUOTE(JSON_EXTRACT(LOCAL, "$.gtid_executed")) AS gtid, JSON_UNQUOTE(JSON_EXTRACT(LOCAL, "$.binary_log_file")) AS file, JSON_EXTRACT(LOCAL, "$.binary_log_position") AS pos FROM performance_schema.log_status',
    );
    const position = positionFromStatus(
      { File: rows[0]?.file, Position: rows[0]?.pos, Executed_Gtid_Set: rows[0]?.gtid },
      where,
      'performance_schema.log_status',
    );
    await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    return position;
  } finally {
    await connection.query('UNLOCK INSTANCE');
  }
}

/** One row of SHOW BINARY LOG STATUS (or its equivalents) as a position. */
export function positionFromStatus(
  row: Record<string, unknown> | undefined,
  where: string,
  statement: string,
): MysqlPosition {
  const file = row?.File;
  const pos = Number(row?.Position);
  if (typeof file !== 'string' || file === '' || !Number.isInteger(pos) || pos < 4) {
    throw new RowkubeError(
      ErrorCode.BINLOG_DISABLED,
      `${where}: ${statement} returned no binlog position (${JSON.stringify(row ?? null)}); start the server with log_bin and a server_id`,
    );
  }
  // The server prints long GTID sets across lines.
  const gtid = String(row?.Executed_Gtid_Set ?? '').replace(/\s+/g, '');
  return gtid ? { file, pos, gtid } : { file, pos };
}

function isAccessDenied(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR' ||
    code === 'ER_DBACCESS_DENIED_ERROR' ||
    code === 'ER_ACCESS_DENIED_ERROR'
  );
}

function lockFailed(error: unknown, where: string, statement: string): RowkubeError {
  const message = error instanceof Error ? error.message : String(error);
  // A lock wait timeout is a long query or transaction holding the tables: a later try may pass.
  const retriable = (error as { code?: unknown } | null)?.code === 'ER_LOCK_WAIT_TIMEOUT';
  return new RowkubeError(
    ErrorCode.SNAPSHOT_POSITION,
    `${where}: ${statement} failed (${message})${retriable ? `; a long-running query held it off for more than ${LOCK_WAIT_SECONDS} s, the snapshot is tried again` : ''}`,
    retriable,
    { cause: error },
  );
}
