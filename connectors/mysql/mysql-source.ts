import ZongJi, { type AnyBinlogEvent, GtidSet, type TableMapEntry } from '@vlasky/zongji';
import type { Logger } from 'pino';
import type { ChangeSink, TableSchema } from '../../src/core/change-event.js';
import { mysqlConnectionOptions } from './mysql-connection.js';
import { type MysqlRowsEventName, rowsEventToChanges } from './mysql-emitter.js';
import { type MysqlPosition, serializeMysqlPosition } from './mysql-offset.js';
import { binlogReadError } from './mysql-preflight.js';
import { columnsMatch } from './mysql-schema.js';
import { mysqlColumnKind } from './mysql-types.js';

export interface MysqlStreamOptions {
  source: string;
  url: string;
  database: string;
  /** Current schemas of the captured tables, by table name. */
  schemas: Map<string, TableSchema>;
  /** Reloads one table's schema from information_schema (after an ALTER). */
  reloadSchema: (table: string) => Promise<TableSchema>;
  /** Where to start: a transaction boundary. */
  start: MysqlPosition;
  /** MySQL: start from start.gtid (the server finds the file) because start.file is purged. */
  resumeFromGtid?: boolean;
  sink: ChangeSink;
  /** Server id of this binlog reader; two readers with one id evict each other. */
  serverId: number;
  logger: Logger;
  signal: AbortSignal;
  /** Called when the binlog connection is up and streaming. */
  onStreaming?: () => void;
}

const ROW_EVENTS = new Set(['writerows', 'updaterows', 'deleterows']);
// Pause the binlog socket while this many events wait for the sink.
const QUEUE_HIGH = 1_000;
const QUEUE_LOW = 100;
// Transactions on tables nobody captures still move the position; storing it
// once a second keeps a restart from re-reading them without a write per commit.
const IDLE_COMMIT_INTERVAL_MS = 1_000;
// Commits handed to the sink and not yet acknowledged; more waits for the oldest.
const MAX_COMMITS_IN_FLIGHT = 1_000;

/**
 * Streams the binlog from `start` into the sink until the signal aborts
 * (resolves) or the connection fails (rejects with a retriable error; the
 * caller reconnects from the last committed position).
 *
 * Events are handled one at a time in binlog order. Row changes are appended
 * as they come; at a transaction's end (XID, or COMMIT for non-transactional
 * engines) the position after it is committed. Only then is the position
 * reported as safe, so a crash anywhere replays the transaction whole.
 */
export function streamMysql(options: MysqlStreamOptions): Promise<void> {
  const { source, database, sink, logger, signal } = options;
  const zongji = new ZongJi(mysqlConnectionOptions(options.url));
  const queue: AnyBinlogEvent[] = [];
  let paused = false;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;

  let file = options.start.file;
  // MariaDB: the last transaction's GTID (domain-server-seq). MySQL: the set of
  // executed GTIDs, seeded from the stored position and grown by each
  // transaction's uuid:gno at its end; unknown when the position has none.
  let gtid = options.start.gtid;
  const executed = gtid?.includes(':') ? GtidSet.parse(gtid) : undefined;
  // The MySQL transaction under way, folded into `executed` at its end, or
  // when the next one starts (a DDL elsewhere may reach no safe point here).
  let pendingGtid: string | undefined;
  let changesInTransaction = 0;
  const inFlight: Promise<void>[] = [];
  let lastCommitAt = Date.now();

  zongji.on('binlog', (event) => {
    queue.push(event);
    if (!paused && queue.length >= QUEUE_HIGH) {
      paused = true;
      zongji.connection?.pause();
    }
    wake?.();
  });
  zongji.on('error', (error) => {
    failure ??= binlogReadError(source, error);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  zongji.on('ready', () => options.onStreaming?.());

  zongji.start({
    serverId: options.serverId,
    ...(options.resumeFromGtid && options.start.gtid
      ? { gtidSet: options.start.gtid }
      : { filename: options.start.file, position: options.start.pos }),
    // Without tablemap, zongji drops row events silently (DESIGN.md field notes).
    includeEvents: [
      'rotate',
      'tablemap',
      'writerows',
      'updaterows',
      'deleterows',
      'xid',
      'query',
      'mariadbgtid',
      'gtid',
    ],
    includeSchema: { [database]: [...options.schemas.keys()] },
  });

  const schemaFor = async (entry: TableMapEntry): Promise<TableSchema> => {
    const names = (entry.columns ?? entry.columnSchemas.map((c) => ({ name: c.COLUMN_NAME }))).map(
      (c) => c.name,
    );
    const cached = options.schemas.get(entry.tableName);
    if (cached && columnsMatch(cached, names)) return cached;
    // The table was altered: its current definition usually matches the event.
    const reloaded = await options.reloadSchema(entry.tableName);
    options.schemas.set(entry.tableName, reloaded);
    if (columnsMatch(reloaded, names)) {
      logger.info({ source, table: entry.tableName, columns: names }, 'table schema changed');
      return reloaded;
    }
    // An event written before a later ALTER (e.g. when catching up): describe
    // it from the binlog's own column metadata.
    return schemaFromBinlog(source, database, entry, reloaded.primaryKey);
  };

  const handle = async (event: AnyBinlogEvent): Promise<void> => {
    const name = event.getEventName();
    if (name === 'rotate') {
      file = (event as { binlogName: string }).binlogName;
      return;
    }
    if (name === 'mariadbgtid') {
      gtid = (event as { gtid: string }).gtid;
      return;
    }
    if (name === 'gtid') {
      if (executed && pendingGtid) executed.add(pendingGtid);
      pendingGtid = (event as { gtid: string }).gtid;
      return;
    }
    if (ROW_EVENTS.has(name)) {
      const rowsEvent = event as unknown as {
        tableId: number;
        tableMap: Record<number, TableMapEntry>;
        rows: unknown[];
      };
      const entry = rowsEvent.tableMap[rowsEvent.tableId];
      if (!entry || !options.schemas.has(entry.tableName)) return;
      const schema = await schemaFor(entry);
      for (const change of rowsEventToChanges(name as MysqlRowsEventName, rowsEvent.rows, schema)) {
        await sink.append(change);
        changesInTransaction++;
      }
      return;
    }
    if (name !== 'xid' && name !== 'query') return;
    const query = name === 'query' ? String((event as { query?: string }).query ?? '') : '';
    const isDdl = /^\s*(ALTER|CREATE|DROP|RENAME|TRUNCATE)\b/i.test(query);
    if (isDdl) {
      // Forget what may have changed; the next row event re-checks its columns.
      for (const table of options.schemas.keys()) {
        if (query.includes(table)) options.schemas.set(table, await options.reloadSchema(table));
      }
    }
    // Safe points: the end of a transaction (XID; COMMIT for non-transactional
    // engines) and a DDL statement, which stands alone. Never after BEGIN.
    const safePoint = name === 'xid' || /^\s*COMMIT\s*$/i.test(query) || isDdl;
    if (!safePoint) return;
    const transactionGtid = pendingGtid;
    if (executed && pendingGtid) {
      executed.add(pendingGtid);
      pendingGtid = undefined;
      gtid = executed.toString();
    }
    const idleDue = Date.now() - lastCommitAt >= IDLE_COMMIT_INTERVAL_MS;
    if (changesInTransaction === 0 && !idleDue) return;
    const position: MysqlPosition = gtid
      ? { file, pos: event.nextPosition, gtid }
      : { file, pos: event.nextPosition };
    // Not awaited: the sink groups transactions, and waiting for each would
    // cap throughput at one transaction per Kafka commit. Commits resolve in
    // order; a failed one stops the stream.
    const committed = sink
      .commit({
        position: serializeMysqlPosition(position),
        ...(executed ? (transactionGtid ? { txId: transactionGtid } : {}) : gtid ? { txId: gtid } : {}),
        commitTsMs: event.timestamp,
      })
      .catch((error: Error) => {
        failure ??= error;
        wake?.();
      });
    inFlight.push(committed);
    committed.finally(() => inFlight.splice(inFlight.indexOf(committed), 1));
    if (inFlight.length >= MAX_COMMITS_IN_FLIGHT) await inFlight[0];
    changesInTransaction = 0;
    lastCommitAt = Date.now();
  };

  const loop = async (): Promise<void> => {
    try {
      for (;;) {
        if (signal.aborted) return;
        if (failure) throw failure;
        const event = queue.shift();
        if (!event) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        if (paused && queue.length <= QUEUE_LOW) {
          paused = false;
          zongji.connection?.resume();
        }
        await handle(event);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      zongji.removeAllListeners('binlog');
      zongji.stop();
      // Return only once every commit handed over has settled, so the caller
      // knows which position is safe. A transaction cut short is read again
      // from there: runCapture drops what the sink holds of it.
      await Promise.allSettled([...inFlight]);
    }
  };
  return loop();
}

function schemaFromBinlog(
  source: string,
  database: string,
  entry: TableMapEntry,
  primaryKey: string[],
): TableSchema {
  return {
    source,
    database,
    table: entry.tableName,
    columns: entry.columnSchemas.map((c) => ({
      name: c.COLUMN_NAME,
      kind: mysqlColumnKind(c.COLUMN_TYPE, false, `${database}.${entry.tableName}.${c.COLUMN_NAME}`),
      nullable: true,
      sourceType: c.COLUMN_TYPE,
    })),
    primaryKey,
  };
}
