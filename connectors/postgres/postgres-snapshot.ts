import type { PostgresSslConfig } from '../../src/core/config/config-schema.js';
// The snapshot of a PostgreSQL source: every row of every captured table as
// op 'r', table by table in primary-key order, in chunks that each commit
// with the snapshot's progress (connectors/snapshot-chunks.ts).
//
// A fresh snapshot creates the replication slot on a replication connection
// with EXPORT_SNAPSHOT: PostgreSQL returns the slot's consistent point (the
// LSN from which the slot streams) and the name of a snapshot that sees
// exactly the transactions committed before that point. A second, normal
// connection imports the snapshot (REPEATABLE READ + SET TRANSACTION
// SNAPSHOT) and reads every table; streaming then starts at the consistent
// point, so each change is either in the snapshot or in the stream. The
// exported snapshot lives only while the replication connection stays idle
// and open, so that connection is kept until the reading transaction ends.
//
// A resumed snapshot finds the slot already there (it holds the WAL since the
// consistent point) but its exported snapshot gone with the crashed process:
// it reads the current rows in a new transaction, after the last committed
// key, and the stream from the consistent point replays whatever changed
// since. The final state is exact; a row changed while capture was down may
// briefly show a newer value, then the older ones replayed, then the newest.

import pg from 'pg';
import type { Logger } from 'pino';
import type { ChangeSink, CommitInfo, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { fromKeyPart, newSnapshotProgress, toKeyPart } from '../../src/core/snapshot-progress.js';
import type { SnapshotContext, SnapshotResume } from '../../src/core/source-connector.js';
import { keysetQuery } from '../keyset-query.js';
import { SnapshotChunks } from '../snapshot-chunks.js';
import {
  asSourceError,
  clientConfig,
  quoteIdent,
  quoteTable,
  type TableRef,
  tableLabel,
} from './postgres-connection.js';
import { decodeTuple, type Tuple } from './postgres-emitter.js';
import { formatLsn, type PostgresOffset, parseLsn, postgresOffsetCodec } from './postgres-offset.js';
import { loadTableSchema, type SchemaContext, TypeCatalog } from './postgres-schema.js';

export interface SnapshotOptions {
  url: string;
  /** `sources[].postgres.ssl`: TLS for every connection. */
  ssl?: PostgresSslConfig | undefined;
  /** The slot: created by a fresh snapshot (it must not exist), there already for a resumed one. */
  slot: string;
  tables: readonly TableRef[];
  context: SchemaContext;
  sink: ChangeSink;
  capture: SnapshotContext;
  /** A snapshot cut short: continue it. */
  resumeFrom?: SnapshotResume<PostgresOffset> | undefined;
}

/** Every column as PostgreSQL's text, whatever its type: postgres-types.ts converts. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * Runs the snapshot and returns the position the stream starts from, once
 * its last commit is stored. When a fresh snapshot fails before its first
 * commit reached the sink, the slot it created is dropped again (no position
 * was stored), so that the next attempt starts over; after that, the slot
 * stays: the stored progress depends on it.
 */
export async function runSnapshot(options: SnapshotOptions): Promise<PostgresOffset> {
  const { slot, capture, resumeFrom } = options;
  const { logger } = capture;
  const replication = new pg.Client({
    ...clientConfig(options.url, options.ssl),
    replication: 'database',
  } as pg.ClientConfig);
  const reader = new pg.Client(clientConfig(options.url, options.ssl));
  // An 'error' event without a listener would crash the process; the failing query reports it.
  replication.on('error', (error) => logger.debug({ err: error }, 'snapshot replication connection error'));
  reader.on('error', (error) => logger.debug({ err: error }, 'snapshot reader connection error'));
  let created = false;
  /** Once the sink was asked to commit, it may have stored the position: the slot must then stay. */
  let committing = false;
  const sink: ChangeSink = {
    append: (change) => options.sink.append(change),
    commit: (info: CommitInfo) => {
      committing = true;
      return options.sink.commit(info);
    },
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await reader.end().catch(() => undefined);
    await replication.end().catch(() => undefined);
  };
  try {
    let chunks: SnapshotChunks<PostgresOffset>;
    await reader.connect();
    if (resumeFrom === undefined) {
      const startedAtMs = Date.now();
      const estimated = await estimatePostgresRows(reader, options.tables);
      await replication.connect();
      const { rows } = await replication.query<{ consistent_point: string; snapshot_name: string }>(
        `CREATE_REPLICATION_SLOT ${quoteIdent(slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
      );
      created = true;
      const consistentPoint = rows[0]?.consistent_point;
      const snapshotName = rows[0]?.snapshot_name;
      if (!consistentPoint || !snapshotName) throw new Error('CREATE_REPLICATION_SLOT returned no snapshot');
      logger.info(
        { action: 'snapshot-start', position: consistentPoint, slot, estimated },
        'replication slot created; snapshot',
      );
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await reader.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replaceAll("'", "''")}'`);
      const progress = newSnapshotProgress({
        estimated,
        startedAtMs,
        replace: capture.capturedRows !== undefined,
      });
      chunks = new SnapshotChunks(
        sink,
        postgresOffsetCodec,
        { lsn: parseLsn(consistentPoint) },
        progress,
        capture,
      );
    } else {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      chunks = new SnapshotChunks(sink, postgresOffsetCodec, resumeFrom.from, resumeFrom.progress, capture);
      logger.info(
        {
          action: 'snapshot-resume',
          position: formatLsn(resumeFrom.from.lsn),
          slot,
          rows: resumeFrom.progress.rows,
          done: resumeFrom.progress.done,
          table: resumeFrom.progress.table,
        },
        'resuming the snapshot after its last committed chunk',
      );
    }
    const types = new TypeCatalog();
    for (const ref of options.tables) {
      const label = tableLabel(ref);
      if (chunks.isDone(label)) continue;
      // Read the shape inside the snapshot: it is the shape the rows have.
      const loaded = await loadTableSchema(reader, options.context, ref, types);
      if (!loaded) {
        throw new RowkubeError(ErrorCode.TABLE_NOT_FOUND, `table ${label} disappeared before the snapshot`);
      }
      // A partitioned table's rows are in its partitions; a plain table's children are other tables.
      const from = `${loaded.catalog.relkind === 'p' ? '' : 'ONLY '}${quoteTable(ref)}`;
      await snapshotTable(reader, loaded.schema, label, from, chunks, capture);
    }
    await reader.query('COMMIT');
    const offset = await chunks.finish();
    logger.info(
      { action: 'snapshot-done', position: formatLsn(offset.lsn), rows: chunks.rows },
      'snapshot committed',
    );
    return offset;
  } catch (error) {
    // The slot is not active once CREATE_REPLICATION_SLOT returned, but close first all the same.
    await close();
    // Without a stored position the slot is useless; with one the next start resumes from it.
    // A start without a position drops a leftover slot anyway.
    if (created && !committing) await dropSlot(options.url, slot, logger, options.ssl);
    throw asSourceError(error, `snapshot of slot ${slot}`);
  } finally {
    await close();
  }
}

/** The tables' row estimates (pg_class.reltuples, -1 before the first ANALYZE): for progress only. */
export async function estimatePostgresRows(client: pg.Client, tables: readonly TableRef[]): Promise<number> {
  let total = 0;
  for (const ref of tables) {
    const { rows } = await client.query<{ n: string | null }>(
      'SELECT GREATEST(reltuples, 0)::bigint::text AS n FROM pg_class WHERE oid = to_regclass($1)',
      [quoteTable(ref)],
    );
    total += Number(rows[0]?.n ?? 0) || 0;
  }
  return total;
}

async function snapshotTable(
  reader: pg.Client,
  schema: TableSchema,
  label: string,
  from: string,
  chunks: SnapshotChunks<PostgresOffset>,
  capture: SnapshotContext,
): Promise<void> {
  const resume = await chunks.beginTable(label, schema);
  let after: unknown[] | undefined = resume?.map(fromKeyPart);
  const columns = schema.columns.map((c) => quoteIdent(c.name)).join(', ');
  for (;;) {
    if (capture.signal.aborted) throw capture.signal.reason ?? new Error('aborted');
    const query = keysetQuery({
      dialect: 'postgres',
      columns,
      from,
      key: schema.primaryKey,
      quote: quoteIdent,
      after,
      limit: capture.chunkRows,
    });
    const { rows } = await reader.query<Tuple>({ text: query.text, values: query.params, types: TEXT_TYPES });
    for (const row of rows) {
      const key = schema.primaryKey.map((column) => toKeyPart(row[column], column));
      await chunks.row({ op: 'r', table: schema, before: null, after: decodeTuple(schema, row) }, key);
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < capture.chunkRows) break;
    after = schema.primaryKey.map((column) => last[column]);
  }
  await chunks.endTable();
}

/** Drops `slot` if it exists and no one streams from it; failures are logged, not thrown. */
export async function dropSlot(
  url: string,
  slot: string,
  logger: Logger,
  ssl?: PostgresSslConfig,
): Promise<void> {
  const client = new pg.Client(clientConfig(url, ssl));
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
