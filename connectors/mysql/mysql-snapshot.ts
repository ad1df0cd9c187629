import type { RowDataPacket } from 'mysql2';
import type { ChangeSink, TableSchema } from '../../src/core/change-event.js';
import type { MysqlSslConfig } from '../../src/core/config/config-schema.js';
import { fromKeyPart, newSnapshotProgress, toKeyPart } from '../../src/core/snapshot-progress.js';
import type { SnapshotContext, SnapshotResume } from '../../src/core/source-connector.js';
import { keysetQuery } from '../keyset-query.js';
import { SnapshotChunks } from '../snapshot-chunks.js';
import { connectMysql, type MysqlConnection } from './mysql-connection.js';
import { type RawRow, snapshotChange } from './mysql-emitter.js';
import { type MysqlPosition, mysqlOffsetCodec } from './mysql-offset.js';
import { detectMysqlFlavour, openConsistentSnapshot } from './mysql-snapshot-position.js';
import { mysqlSelectList } from './mysql-types.js';

// The snapshot of a MySQL/MariaDB source: every row of every captured table
// as op 'r', table by table in primary-key order, in chunks that each commit
// with the snapshot's progress (connectors/snapshot-chunks.ts).
//
// A fresh snapshot reads inside one consistent-snapshot transaction whose
// binlog position the stream starts from (mysql-snapshot-position.ts:
// lock-free on MariaDB, a lock of a few milliseconds on MySQL): each change
// is in the snapshot or in the stream. A resumed snapshot opens a new read of the current rows and
// continues after the last committed key; the stream still starts from the
// position recorded when the snapshot began, so whatever changed since is
// replayed from the binlog and the final state is exact (a row changed while
// capture was down may show a newer value, then the older ones replayed, then
// the newest again).

export interface MysqlSnapshotOptions {
  url: string;
  /** `sources[].mysql.ssl`: TLS for every connection. */
  ssl?: MysqlSslConfig | undefined;
  source?: string | undefined;
  tables: readonly TableSchema[];
  sink: ChangeSink;
  context: SnapshotContext;
  /** A snapshot cut short: continue it. */
  resumeFrom?: SnapshotResume<MysqlPosition> | undefined;
}

/** The tables' row count estimates (information_schema.TABLES.TABLE_ROWS): for progress only. */
export async function estimateMysqlRows(
  connection: MysqlConnection,
  tables: readonly TableSchema[],
): Promise<number> {
  let total = 0;
  for (const schema of tables) {
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [schema.database, schema.table],
    );
    total += Number(rows[0]?.n ?? 0) || 0;
  }
  return total;
}

/** Resolves with the position the stream starts from, once the snapshot's last commit is stored. */
export async function snapshotMysql(options: MysqlSnapshotOptions): Promise<MysqlPosition> {
  const { tables, sink, context, resumeFrom } = options;
  const connection = await connectMysql(options.url, { ssl: options.ssl, source: options.source });
  try {
    let from: MysqlPosition;
    let chunks: SnapshotChunks<MysqlPosition>;
    if (resumeFrom === undefined) {
      const startedAtMs = Date.now();
      const estimated = await estimateMysqlRows(connection, tables);
      const where = `source ${tables[0]?.source ?? '?'}`;
      const opened = await openConsistentSnapshot(connection, await detectMysqlFlavour(connection), where);
      from = opened.position;
      const progress = newSnapshotProgress({
        estimated,
        startedAtMs,
        replace: context.capturedRows !== undefined,
      });
      chunks = new SnapshotChunks(sink, mysqlOffsetCodec, from, progress, context);
      context.logger.info(
        { action: 'snapshot-start', position: mysqlOffsetCodec.format(from), lock: opened.lock, estimated },
        'snapshot: consistent read opened',
      );
    } else {
      // The position recorded at the start still holds: the stream replays what changed since.
      from = resumeFrom.from;
      await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      chunks = new SnapshotChunks(sink, mysqlOffsetCodec, from, resumeFrom.progress, context);
      context.logger.info(
        {
          action: 'snapshot-resume',
          position: mysqlOffsetCodec.format(from),
          rows: resumeFrom.progress.rows,
          done: resumeFrom.progress.done,
          table: resumeFrom.progress.table,
        },
        'resuming the snapshot after its last committed chunk',
      );
    }
    for (const schema of tables) {
      const label = `${schema.database}.${schema.table}`;
      if (chunks.isDone(label)) continue;
      await snapshotTable(connection, schema, label, chunks, context);
    }
    await connection.query('COMMIT');
    return await chunks.finish();
  } finally {
    await connection.end().catch(() => undefined);
  }
}

async function snapshotTable(
  connection: MysqlConnection,
  schema: TableSchema,
  label: string,
  chunks: SnapshotChunks<MysqlPosition>,
  context: SnapshotContext,
): Promise<void> {
  const resume = await chunks.beginTable(label, schema);
  let after: unknown[] | undefined = resume?.map(fromKeyPart);
  for (;;) {
    if (context.signal.aborted) throw context.signal.reason ?? new Error('aborted');
    const query = keysetQuery({
      dialect: 'mysql',
      columns: mysqlSelectList(schema),
      from: `${quoteIdentifier(schema.database)}.${quoteIdentifier(schema.table)}`,
      key: schema.primaryKey,
      quote: quoteIdentifier,
      after,
      limit: context.chunkRows,
    });
    const [rows] = await connection.query<RowDataPacket[]>(query.text, query.params);
    for (const raw of rows) {
      const key = schema.primaryKey.map((column) => toKeyPart(raw[column], column));
      await chunks.row(snapshotChange(schema, raw as RawRow), key);
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < context.chunkRows) break;
    after = schema.primaryKey.map((column) => last[column] as unknown);
  }
  await chunks.endTable();
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}
