import type { AdminDatabase } from './admin-database.js';

// What an application runs right after its COMMIT to learn the position to
// wait for (docs/read-your-writes.md), on the session that committed.

/** How to spell the position: the transaction's GTID, or the log position after it. */
export type PositionSpelling = 'gtid' | 'log';

export async function commitPosition(db: AdminDatabase, spelling: PositionSpelling): Promise<string> {
  const one = async (sql: string): Promise<Record<string, unknown>> => {
    const [row] = await db.query(sql);
    if (row === undefined) throw new Error(`${sql} returned no row`);
    return row;
  };
  switch (db.kind) {
    case 'postgres':
      return String((await one('SELECT pg_current_wal_lsn()::text AS lsn')).lsn);
    case 'mariadb':
      if (spelling === 'gtid') return String((await one('SELECT @@last_gtid AS gtid')).gtid);
      return logPosition(await one('SHOW MASTER STATUS'));
    case 'mysql':
      if (spelling === 'gtid') return String((await one('SELECT @@global.gtid_executed AS gtid')).gtid);
      return logPosition(await one('SHOW BINARY LOG STATUS'));
  }
}

function logPosition(row: Record<string, unknown>): string {
  return `${String(row.File)}:${String(row.Position)}`;
}
