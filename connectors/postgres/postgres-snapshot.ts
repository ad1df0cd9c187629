// The initial snapshot: the rows that exist when capture starts, as op 'r'
// changes, consistent with the stream that follows.
//
// The replication slot is created on a replication connection with
// EXPORT_SNAPSHOT: PostgreSQL returns the slot's consistent point (the LSN
// from which the slot streams) and the name of a snapshot that sees exactly
// the transactions committed before that point. A second, normal connection
// imports the snapshot (REPEATABLE READ + SET TRANSACTION SNAPSHOT) and reads
// every table. Streaming then starts at the consistent point, so each change
// is either in the snapshot or in the stream, never both and never neither.
// The exported snapshot lives only while the replication connection stays
// idle and open, so that connection is kept until the reading transaction ends.

import pg from 'pg';
import type { Logger } from 'pino';
import type { ChangeSink, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import {
  asSourceError,
  clientConfig,
  quoteIdent,
  quoteTable,
  type TableRef,
  tableLabel,
} from './postgres-connection.js';
import { decodeTuple, type Tuple } from './postgres-emitter.js';
import { type PostgresOffset, parseLsn, serializeOffset } from './postgres-offset.js';
import { loadTableSchema, type SchemaContext, TypeCatalog } from './postgres-schema.js';

export interface SnapshotOptions {
  url: string;
  /** The slot to create; it must not exist. */
  slot: string;
  tables: readonly TableRef[];
  context: SchemaContext;
  sink: ChangeSink;
  logger: Logger;
  /** Aborting stops between chunks; the slot is then dropped (no position was stored). */
  signal?: AbortSignal;
  /** Rows fetched per round trip. Default 1000. */
  chunkSize?: number;
}

/** Every column as PostgreSQL's text, whatever its type: postgres-types.ts converts. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * Creates the slot, emits every row of every table (append … append, then one
 * commit with the consistent point as position and `snapshot: true`), and
 * returns the position the stream starts from. On a failure before the
 * sink's commit the slot is dropped again (no position was stored), so that
 * the next attempt starts over with a fresh snapshot.
 */
export async function runSnapshot(options: SnapshotOptions): Promise<PostgresOffset> {
  const { logger, slot } = options;
  const chunkSize = options.chunkSize ?? 1000;
  const replication = new pg.Client({
    ...clientConfig(options.url),
    replication: 'database',
  } as pg.ClientConfig);
  const reader = new pg.Client(clientConfig(options.url));
  // An 'error' event without a listener would crash the process; the failing query reports it.
  replication.on('error', (error) => logger.debug({ err: error }, 'snapshot replication connection error'));
  reader.on('error', (error) => logger.debug({ err: error }, 'snapshot reader connection error'));
  let created = false;
  /** Once the sink was asked to commit, it may have stored the position: the slot must then stay. */
  let committing = false;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await reader.end().catch(() => undefined);
    await replication.end().catch(() => undefined);
  };
  try {
    await replication.connect();
    const { rows } = await replication.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT ${quoteIdent(slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    created = true;
    const consistentPoint = rows[0]?.consistent_point;
    const snapshotName = rows[0]?.snapshot_name;
    if (!consistentPoint || !snapshotName) throw new Error('CREATE_REPLICATION_SLOT returned no snapshot');
    const startedAt = Date.now();
    logger.info(
      { action: 'snapshot-start', position: consistentPoint, slot },
      'replication slot created; snapshot',
    );

    await reader.connect();
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await reader.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replaceAll("'", "''")}'`);
    const types = new TypeCatalog();
    let total = 0;
    for (const ref of options.tables) {
      // Read the shape inside the snapshot: it is the shape the rows have.
      const loaded = await loadTableSchema(reader, options.context, ref, types);
      if (!loaded) {
        throw new RowkubeError(
          ErrorCode.TABLE_NOT_FOUND,
          `table ${tableLabel(ref)} disappeared before the snapshot`,
        );
      }
      // A partitioned table's rows are in its partitions; a plain table's children are other tables.
      const from = `${loaded.catalog.relkind === 'p' ? '' : 'ONLY '}${quoteTable(ref)}`;
      const count = await snapshotTable(reader, loaded.schema, from, options, chunkSize);
      total += count;
      logger.info({ action: 'snapshot-table', table: tableLabel(ref), rows: count }, 'table snapshotted');
    }
    await reader.query('COMMIT');
    const offset = { lsn: parseLsn(consistentPoint) };
    committing = true;
    await options.sink.commit({ position: serializeOffset(offset), commitTsMs: startedAt, snapshot: true });
    logger.info({ action: 'snapshot-done', position: consistentPoint, rows: total }, 'snapshot committed');
    return offset;
  } catch (error) {
    // The slot is not active once CREATE_REPLICATION_SLOT returned, but close first all the same.
    await close();
    // Without a stored position the slot is useless; with one (a commit that failed after storing
    // it) the next start resumes from it. A start without a position drops a leftover slot anyway.
    if (created && !committing) await dropSlot(options.url, slot, logger);
    throw asSourceError(error, `snapshot of slot ${slot}`);
  } finally {
    await close();
  }
}

async function snapshotTable(
  reader: pg.Client,
  schema: TableSchema,
  from: string,
  options: SnapshotOptions,
  chunkSize: number,
): Promise<number> {
  const columns = schema.columns.map((c) => quoteIdent(c.name)).join(', ');
  const order = schema.primaryKey.map(quoteIdent).join(', ');
  // A cursor streams the table in primary-key order without holding it in memory.
  await reader.query(
    `DECLARE rowkube_snapshot NO SCROLL CURSOR FOR SELECT ${columns} FROM ${from} ORDER BY ${order}`,
  );
  let count = 0;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    const { rows } = await reader.query<Tuple>({
      text: `FETCH FORWARD ${chunkSize} FROM rowkube_snapshot`,
      types: TEXT_TYPES,
    });
    for (const row of rows) {
      await options.sink.append({ op: 'r', table: schema, before: null, after: decodeTuple(schema, row) });
    }
    count += rows.length;
    if (rows.length < chunkSize) break;
  }
  await reader.query('CLOSE rowkube_snapshot');
  return count;
}

/** Drops `slot` if it exists and no one streams from it; failures are logged, not thrown. */
export async function dropSlot(url: string, slot: string, logger: Logger): Promise<void> {
  const client = new pg.Client(clientConfig(url));
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
      [slot],
    );
    logger.info({ action: 'slot-dropped', slot }, 'replication slot dropped');
  } catch (error) {
    logger.warn({ err: error, slot }, 'could not drop the replication slot: drop it by hand, it pins WAL');
  } finally {
    await client.end().catch(() => undefined);
  }
}
