import type { ChangeSink, TableSchema } from '../../src/core/change-event.js';
import { connectMysql } from './mysql-connection.js';
import { snapshotChange } from './mysql-emitter.js';
import { type MysqlPosition, serializeMysqlPosition } from './mysql-offset.js';
import { detectMysqlFlavour, openConsistentSnapshot } from './mysql-snapshot-position.js';
import { mysqlSelectList } from './mysql-types.js';

export interface MysqlSnapshotResult {
  /** The binlog position the snapshot is consistent with: streaming resumes exactly here. */
  position: MysqlPosition;
  rows: number;
}

/**
 * Reads every captured table inside one consistent-snapshot transaction and
 * emits each row as op 'r', then commits them with the binlog position of that
 * snapshot (mysql-snapshot-position.ts: lock-free on MariaDB, a lock of a few
 * milliseconds on MySQL).
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
    const where = `source ${tables[0]?.source ?? '?'}`;
    const { position } = await openConsistentSnapshot(
      connection,
      await detectMysqlFlavour(connection),
      where,
    );
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
    await sink.commit({ position: serializeMysqlPosition(position), commitTsMs: Date.now(), snapshot: true });
    await connection.query('COMMIT');
    return { position, rows: total };
  } finally {
    await connection.end().catch(() => undefined);
  }
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}
