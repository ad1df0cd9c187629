// PostgreSQL capture: preflight → snapshot (first start) → stream.
//
// The roles, one file each, as in connectors/mysql:
//   postgres-preflight.ts  checks before anything starts (stable error codes)
//   postgres-snapshot.ts   slot creation + consistent snapshot (op 'r')
//   postgres-source.ts     the stream: transactions → sink, acknowledgements, keepalives, reconnects
//   postgres-pgoutput.ts   pg-logical-replication's pgoutput plugin with text values; status updates
//   postgres-publication.ts  the publication (created or extended when the capture user may)
//   postgres-emitter.ts    pgoutput row message → RowChange (pure)
//   postgres-schema.ts     TableSchema from the catalog and from Relation messages
//   postgres-types.ts      PostgreSQL types and text values → ColumnKind (pure)
//   postgres-offset.ts     the position (LSN) and its codec (pure)
//   postgres-connection.ts session settings, names, transient driver errors

import pg from 'pg';
import { type Logger, pino } from 'pino';
import type { ChangeSink, SourcePosition, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import {
  asSourceError,
  checkPublicationName,
  checkSlotName,
  clientConfig,
  parseTableName,
  tableLabel,
} from './postgres-connection.js';
import { formatLsn, parseOffset } from './postgres-offset.js';
import { runPreflight } from './postgres-preflight.js';
import { ensurePublication } from './postgres-publication.js';
import { TypeCatalog, tableSchemaFromCatalog } from './postgres-schema.js';
import { dropSlot, runSnapshot } from './postgres-snapshot.js';
import { type AbortableSink, runStream } from './postgres-source.js';

export {
  compareLsn,
  formatLsn,
  type PostgresOffset,
  parseLsn,
  parseOffset,
  serializeOffset,
} from './postgres-offset.js';
export type { AbortableSink } from './postgres-source.js';

export interface PostgresCaptureOptions {
  /** The source's configured name: TableSchema.source, and the name its offset is stored under. */
  name: string;
  /** postgres://user:password@host:port/database of the capture user (REPLICATION, reads every captured table). */
  url: string;
  /** Replication slot: lower-case letters, digits, "_". Created by the first start (with the snapshot). */
  slot: string;
  /** Publication; created if missing when the capture user owns the tables, otherwise the error says what to run. */
  publication: string;
  /** "schema.table" or "table" (schema public); exact, case-sensitive names. */
  tables: string[];
  /**
   * Where changes go; commit() must resolve only once they are durable (see
   * ChangeSink), and commits must resolve in call order (the stream does not
   * wait for one before the next transaction). A commit() without appended
   * changes carries only a position (an idle keepalive's): store it like any
   * other. abort(), when present, lets capture reconnect by itself after a
   * connection lost inside a transaction (KafkaChangeSink has it).
   */
  sink: ChangeSink | AbortableSink;
  /** The position stored for this source, undefined before the first snapshot completed. */
  loadOffset(): Promise<SourcePosition | undefined>;
  /** Default: pino at level info. Records carry source, table, position, action. */
  logger?: Logger;
  /** Aborting stops capture: the promise then resolves once no sink call is in flight. */
  signal?: AbortSignal;
  /** Rows per snapshot fetch. Default 1000. */
  snapshotChunkSize?: number;
  /** Keepalive request and idle position commit interval (ms). Default 10 000. */
  heartbeatIntervalMs?: number;
  /** Reconnect backoff (ms). Defaults 500 → 30 000. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Told when the replication stream is connected (true) and when it was lost (false): readiness. */
  onStreaming?: (streaming: boolean) => void;
}

/**
 * Captures the configured tables until `signal` aborts (resolves) or a
 * failure that retrying will not fix (rejects with a RowkubeError whose code
 * names it, or the sink's own error).
 *
 * Without a stored position: preflight, publication, then a snapshot that
 * creates the slot (an existing slot is dropped first: without a stored
 * position nothing depends on it), then the stream from the snapshot's
 * consistent point. With one: preflight (the slot must still hold it), then
 * the stream from it.
 */
export async function runPostgresCapture(options: PostgresCaptureOptions): Promise<void> {
  const slot = checkSlotName(options.slot);
  const publication = checkPublicationName(options.publication);
  const tables = [...new Map(options.tables.map(parseTableName).map((t) => [tableLabel(t), t])).values()];
  if (tables.length === 0) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `source ${options.name} captures no table: list at least one in tables`,
    );
  }
  const logger = (options.logger ?? pino({ name: 'rowkube' })).child({ source: options.name });
  const stored = await options.loadOffset();
  let offset = stored ? parseOffset(stored) : undefined;

  const client = new pg.Client(clientConfig(options.url));
  client.on('error', (error) => logger.debug({ err: error }, 'preflight connection error'));
  let database: string;
  const initialSchemas = new Map<string, TableSchema>();
  let slotExists: boolean;
  try {
    await client.connect().catch((error: unknown) => {
      throw asSourceError(error, 'connecting to PostgreSQL');
    });
    const result = await runPreflight(client, { tables, slot, offset });
    for (const warning of result.warnings)
      logger.warn({ table: warning.table, action: 'preflight' }, warning.message);
    await ensurePublication(client, publication, result.tables, logger);
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    database = rows[0]?.db ?? '';
    const types = new TypeCatalog();
    await types.load(
      client,
      result.tables.flatMap((t) => t.columns.map((c) => c.typeOid)),
    );
    const context = { source: options.name, database };
    for (const table of result.tables) {
      initialSchemas.set(tableLabel(table.ref), tableSchemaFromCatalog(context, table, types.describe));
    }
    slotExists = result.slot !== undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
  const context = { source: options.name, database };
  if (options.signal?.aborted) return;

  if (!offset) {
    if (slotExists) {
      logger.warn(
        { action: 'slot-reset', slot },
        'slot exists but no position is stored: dropping it to snapshot again',
      );
      await dropSlot(options.url, slot, logger);
    }
    try {
      offset = await runSnapshot({
        url: options.url,
        slot,
        tables,
        context,
        sink: options.sink,
        logger,
        signal: options.signal,
        chunkSize: options.snapshotChunkSize,
      });
    } catch (error) {
      if (options.signal?.aborted) return;
      throw error;
    }
  } else {
    logger.info(
      { action: 'resume', position: formatLsn(offset.lsn), slot },
      'resuming from the stored position',
    );
  }

  await runStream({
    url: options.url,
    slot,
    publication,
    tables,
    context,
    initialSchemas,
    sink: options.sink,
    startLsn: offset.lsn,
    // Lets the stream reset the sink after a retriable failure (a broker restart) instead of ending.
    loadOffset: options.loadOffset,
    logger,
    signal: options.signal,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    reconnect: options.reconnect,
    onStreaming: options.onStreaming,
  });
}
