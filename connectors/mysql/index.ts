import { createHash } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { abortableSleep } from '../../src/core/abortable-sleep.js';
import type { ChangeSink, SourcePosition, TableSchema } from '../../src/core/change-event.js';
import { ErrorCode, isRetriable, RowkubeError } from '../../src/core/errors.js';
import { connectMysql, mysqlUrlDatabase } from './mysql-connection.js';
import { type MysqlPosition, parseMysqlPosition } from './mysql-offset.js';
import { mysqlPreflight } from './mysql-preflight.js';
import { loadMysqlTableSchema } from './mysql-schema.js';
import { snapshotMysql } from './mysql-snapshot.js';
import { streamMysql } from './mysql-source.js';

export interface MysqlCaptureOptions {
  /** The source's name in the configuration; names topics and the offset. */
  name: string;
  /** mysql://user:password@host:port/database — unqualified tables live in that database. */
  url: string;
  tables: readonly string[];
  sink: ChangeSink;
  /** The last position the sink committed, or undefined on a first start. */
  loadOffset: () => Promise<SourcePosition | undefined>;
  /** Binlog reader id; defaults to one derived from the source name. */
  serverId?: number;
  logger?: Logger;
  signal: AbortSignal;
  /** Told when the binlog stream is connected (true) and when it was lost (false): readiness. */
  onStreaming?: (streaming: boolean) => void;
}

const BACKOFF_MS = { first: 500, max: 30_000 };

/**
 * Captures the tables until the signal aborts: preflight, a consistent snapshot
 * on the very first start, then the binlog from the stored position. A lost
 * connection is retried with backoff from the last committed position; a
 * misconfiguration (preflight) rejects at once with its error code.
 */
export async function runMysqlCapture(options: MysqlCaptureOptions): Promise<void> {
  const logger = options.logger ?? pino({ name: 'rowkube' });
  const log = logger.child({ source: options.name, connector: 'mysql' });
  const database = mysqlUrlDatabase(options.url);
  const serverId = options.serverId ?? defaultServerId(options.name);
  let resumeFrom: MysqlPosition | undefined;
  let backoff = BACKOFF_MS.first;

  while (!options.signal.aborted) {
    try {
      const stored = await options.loadOffset();
      resumeFrom = stored ? parseMysqlPosition(stored) : undefined;
      const schemas = await prepare(options, database, resumeFrom);
      if (!resumeFrom) {
        log.info({ tables: [...schemas.keys()] }, 'no stored position: taking a snapshot');
        const snapshot = await snapshotMysql(
          options.url,
          [...schemas.values()],
          options.sink,
          (table, rows) => log.info({ table, rows }, 'snapshot progress'),
        );
        log.info({ rows: snapshot.rows, position: snapshot.position }, 'snapshot committed');
        resumeFrom = snapshot.position;
      }
      log.info({ position: resumeFrom }, 'streaming the binlog');
      const reloadConnection = await connectMysql(options.url);
      try {
        await streamMysql({
          source: options.name,
          url: options.url,
          database,
          schemas,
          reloadSchema: (table) => loadMysqlTableSchema(reloadConnection, options.name, database, table),
          start: resumeFrom,
          sink: options.sink,
          serverId,
          logger: log,
          signal: options.signal,
          onCommitted: () => {
            backoff = BACKOFF_MS.first;
          },
          onStreaming: () => options.onStreaming?.(true),
        });
      } finally {
        await reloadConnection.end().catch(() => undefined);
      }
    } catch (error) {
      if (options.signal.aborted) return;
      options.onStreaming?.(false);
      if (!isRetriable(error) && !isConnectionError(error)) throw error;
      log.warn(
        { err: error, retryInMs: backoff },
        'capture interrupted; resuming from the last committed position',
      );
      await abortableSleep(backoff, options.signal);
      backoff = Math.min(backoff * 2, BACKOFF_MS.max);
    }
  }
}

async function prepare(
  options: MysqlCaptureOptions,
  database: string,
  resumeFrom: MysqlPosition | undefined,
): Promise<Map<string, TableSchema>> {
  const connection = await connectMysql(options.url);
  try {
    await mysqlPreflight(connection, options.name, resumeFrom);
    const schemas = new Map<string, TableSchema>();
    for (const table of options.tables) {
      const schema = await loadMysqlTableSchema(connection, options.name, database, table);
      if (schema.primaryKey.length === 0) {
        throw new RowkubeError(
          ErrorCode.NO_PRIMARY_KEY,
          `source ${options.name}: table ${database}.${table} has no primary key; rowkube keys every change topic by it — add one (ALTER TABLE ${table} ADD PRIMARY KEY (…))`,
        );
      }
      schemas.set(table, schema);
    }
    return schemas;
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/** Driver errors that mean "the server went away", worth a reconnect. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    typeof code === 'string' &&
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'PROTOCOL_CONNECTION_LOST',
      'ETIMEDOUT',
      'EPIPE',
      'ER_SERVER_SHUTDOWN',
    ].includes(code)
  );
}

function defaultServerId(name: string): number {
  // Stable per source, away from the small ids servers themselves use.
  return 100_000 + (createHash('sha1').update(name).digest().readUInt32BE(0) % 1_000_000_000);
}
