import type { RowDataPacket } from 'mysql2';
import type { ChangeSink, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { connectMysql } from './mysql-connection.js';
import { snapshotChange } from './mysql-emitter.js';
import type { MysqlPosition } from './mysql-offset.js';
import { mysqlSelectList } from './mysql-types.js';

export interface MysqlSnapshotResult {
  /** The binlog position the snapshot is consistent with: streaming resumes exactly here. */
  position: MysqlPosition;
  rows: number;
}

/**
 * Reads every captured table inside one consistent-snapshot transaction and
 * emits each row as op 'r', then commits them with the binlog position of that
 * snapshot. MariaDB reports that position for the snapshot itself
 * (binlog_snapshot_file/position), so no lock is taken and writers never wait.
 *
 * Rows stream from the server one by one (the driver pauses the socket while
 * the sink pushes back), so a big table never sits in memory.
 */
export async function snapshotMysql(
  url: string,
  tables: readonly TableSchema[],
  sink: ChangeSink,
  onProgress: (table: string, rows: number) => void = () => {},
): Promise<MysqlSnapshotResult> {
  const connection = await connectMysql(url);
  try {
    await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const [status] = await connection.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const values = Object.fromEntries(
      status.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]),
    );
    const file = values.binlog_snapshot_file;
    const pos = Number(values.binlog_snapshot_position);
    if (!file || !Number.isInteger(pos)) {
      throw new RowkubeError(
        ErrorCode.BINLOG_DISABLED,
        'the server does not report binlog_snapshot_file/binlog_snapshot_position for a consistent snapshot (MariaDB does; MySQL is not supported for snapshots yet)',
      );
    }
    let total = 0;
    for (const schema of tables) {
      let count = 0;
      const stream = connection.core
        .query(
          `SELECT ${mysqlSelectList(schema)} FROM ${quoteIdentifier(schema.database)}.${quoteIdentifier(schema.table)}`,
        )
        .stream({ highWaterMark: 500 });
      for await (const raw of stream) {
        await sink.append(snapshotChange(schema, raw as Record<string, unknown>));
        count++;
        if (count % 10_000 === 0) onProgress(schema.table, count);
      }
      onProgress(schema.table, count);
      total += count;
    }
    const position: MysqlPosition = { file, pos };
    await sink.commit({ position: { file, pos, gtid: null }, commitTsMs: Date.now(), snapshot: true });
    await connection.query('COMMIT');
    return { position, rows: total };
  } finally {
    await connection.end().catch(() => undefined);
  }
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}
