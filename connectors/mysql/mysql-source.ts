import ZongJi, { type AnyBinlogEvent, GtidSet, type TableMapEntry } from '@vlasky/zongji';
import type { Logger } from 'pino';
import type {
  ChangeSink,
  ColumnSpec,
  CommitInfo,
  SourcePosition,
  TableSchema,
} from '../../src/core/change-event.js';
import type { MysqlSslConfig } from '../../src/core/config/config-schema.js';
import { mysqlConnectionOptions, mysqlSetupError } from './mysql-connection.js';
import { type MysqlRowsEventName, rowsEventToChanges } from './mysql-emitter.js';
import { type MysqlPosition, serializeMysqlPosition } from './mysql-offset.js';
import { binlogReadError } from './mysql-preflight.js';
import type { MysqlSchemaHistory } from './mysql-schema-history.js';
import { mysqlColumnKind } from './mysql-types.js';

export interface MysqlStreamOptions {
  source: string;
  url: string;
  /** `sources[].mysql.ssl`: TLS for every connection. */
  ssl?: MysqlSslConfig | undefined;
  database: string;
  /** Current schemas of the captured tables, by table name. */
  schemas: Map<string, TableSchema>;
  /** Reloads one table's schema from information_schema (after an ALTER). */
  reloadSchema: (table: string) => Promise<TableSchema>;
  /** The definitions in force at each position (mysql-schema-history.ts); the stream records what it learns. */
  history: MysqlSchemaHistory;
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
/** Queued by the idle timer: store the last safe point that was skipped, if nothing came since. */
const IDLE_FLUSH = Symbol('idle-flush');
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
  const { source, database, sink, logger, signal, history } = options;
  const zongji = new ZongJi(mysqlConnectionOptions(options.url, options.ssl));
  const queue: (AnyBinlogEvent | typeof IDLE_FLUSH)[] = [];
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
  /** A schema-history entry joined the open transaction: commit it even without changes. */
  let schemaRecorded = false;
  const inFlight: Promise<void>[] = [];
  let lastCommitAt = Date.now();
  // The last safe point not stored (transactions on tables nobody captures,
  // closer together than the idle interval). Once the binlog goes quiet, the
  // idle timer stores it: a position an application waits for
  // (docs/read-your-writes.md) may lie there, and nothing else would move
  // the stored position past it.
  let skipped: { info: CommitInfo } | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  zongji.on('binlog', (event) => {
    queue.push(event);
    if (!paused && queue.length >= QUEUE_HIGH) {
      paused = true;
      zongji.connection?.pause();
    }
    wake?.();
  });
  zongji.on('error', (error) => {
    failure ??= mysqlSetupError(error, { ssl: options.ssl, source }) ?? binlogReadError(source, error);
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

  /** Adds a definition to the history and to the open transaction, unless it is already in force there. */
  const record = (position: SourcePosition, table: TableSchema): boolean => {
    const version = { position, table };
    if (!history.add(version)) return false;
    sink.recordSchema?.(version);
    schemaRecorded = true;
    return true;
  };

  // The definition in force at the event's position (mysql-schema-history.ts);
  // what the history did not hold yet is recorded at that position.
  const schemaFor = async (entry: TableMapEntry, position: SourcePosition): Promise<TableSchema> => {
    const names = (entry.columns ?? entry.columnSchemas.map((c) => ({ name: c.COLUMN_NAME }))).map(
      (c) => c.name,
    );
    const table = entry.tableName;
    const columns = { names, describe: (name: string) => binlogColumn(database, entry, name) };
    let resolved = history.resolve(table, position, columns, options.schemas.get(table));
    if (resolved.how === 'rebuilt') {
      // The table may have been altered since its definition was loaded.
      const reloaded = await options.reloadSchema(table);
      options.schemas.set(table, reloaded);
      resolved = history.resolve(table, position, columns, reloaded);
    }
    if (resolved.how !== 'history' && record(position, resolved.schema)) {
      const log = { source, table, position, columns: names };
      if (resolved.how === 'current') logger.info(log, 'table schema changed');
      else
        logger.warn(
          { ...log, unknownColumns: resolved.unknownColumns },
          'row event from a table definition no longer known (several ALTERs while capture was down): ' +
            'described by its column names, kinds and key from the known definitions',
        );
    }
    return resolved.schema;
  };

  const commit = async (info: CommitInfo): Promise<void> => {
    skipped = undefined;
    // Not awaited: the sink groups transactions, and waiting for each would
    // cap throughput at one transaction per Kafka commit. Commits resolve in
    // order; a failed one stops the stream.
    const committed = sink.commit(info).catch((error: Error) => {
      failure ??= error;
      wake?.();
    });
    inFlight.push(committed);
    committed.finally(() => inFlight.splice(inFlight.indexOf(committed), 1));
    if (inFlight.length >= MAX_COMMITS_IN_FLIGHT) await inFlight[0];
    changesInTransaction = 0;
    schemaRecorded = false;
    lastCommitAt = Date.now();
  };

  const handle = async (event: AnyBinlogEvent | typeof IDLE_FLUSH): Promise<void> => {
    if (event === IDLE_FLUSH) {
      idleTimer = undefined;
      // Only between transactions: a transaction under way commits its own position.
      if (skipped && changesInTransaction === 0 && !schemaRecorded) await commit(skipped.info);
      return;
    }
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
      const schema = await schemaFor(entry, serializeMysqlPosition({ file, pos: event.nextPosition }));
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
      // The tables it may have changed are read again; a new definition is in
      // force from the DDL's position (file/pos, as row events are placed).
      const at = serializeMysqlPosition({ file, pos: event.nextPosition });
      for (const table of options.schemas.keys()) {
        if (!query.includes(table)) continue;
        const reloaded = await options.reloadSchema(table);
        options.schemas.set(table, reloaded);
        // In force from the DDL's position, stored with the DDL's commit below.
        if (record(at, reloaded))
          logger.info({ source, table, position: at }, 'table definition recorded after DDL');
      }
    }
    const truncated = truncatedTable(query, (event as { schema?: string }).schema, database);
    const truncatedSchema = truncated === undefined ? undefined : options.schemas.get(truncated);
    if (truncatedSchema !== undefined) {
      logger.info({ source, table: truncated, action: 'truncate' }, 'table truncated');
      await sink.append({ op: 't', table: truncatedSchema, before: null, after: null });
      changesInTransaction++;
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
    // MySQL: this transaction's own GTID; MariaDB: the last GTID seen, which is this transaction's.
    const txId = executed ? transactionGtid : gtid;
    const idleDue = Date.now() - lastCommitAt >= IDLE_COMMIT_INTERVAL_MS;
    const position: MysqlPosition = gtid
      ? { file, pos: event.nextPosition, gtid }
      : { file, pos: event.nextPosition };
    const info: CommitInfo = {
      position: serializeMysqlPosition(position),
      ...(txId ? { txId } : {}),
      commitTsMs: event.timestamp,
    };
    if (changesInTransaction === 0 && !idleDue && !schemaRecorded) {
      skipped = { info };
      idleTimer ??= setTimeout(() => {
        queue.push(IDLE_FLUSH);
        wake?.();
      }, IDLE_COMMIT_INTERVAL_MS);
      return;
    }
    await commit(info);
  };

  // A table the history does not know at the start position (a source
  // captured before rowkube kept a history, or a table added to the
  // configuration): its definition of now is in force from here. Stored at
  // once, with the start position itself.
  const recordInitialDefinitions = async (): Promise<void> => {
    const at = serializeMysqlPosition(options.start);
    let recorded = 0;
    for (const [table, schema] of options.schemas) {
      if (history.inForce(table, at) === undefined && record(at, schema)) recorded++;
    }
    if (recorded === 0) return;
    logger.info(
      { source, position: at, tables: recorded },
      'table definitions recorded in the schema history',
    );
    await sink.commit({ position: at, commitTsMs: Date.now() });
    schemaRecorded = false;
  };

  const loop = async (): Promise<void> => {
    try {
      await recordInitialDefinitions();
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
      clearTimeout(idleTimer);
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

/** A column as the binlog describes it, for one no known definition has: its type's kind, nullable. */
function binlogColumn(database: string, entry: TableMapEntry, name: string): ColumnSpec {
  const column = entry.columnSchemas.find((c) => c.COLUMN_NAME === name);
  const sourceType = column?.COLUMN_TYPE ?? 'unknown';
  return {
    name,
    kind: column ? mysqlColumnKind(sourceType, false, `${database}.${entry.tableName}.${name}`) : 'string',
    nullable: true,
    sourceType,
  };
}

/**
 * The table a `TRUNCATE [TABLE] [db.]t` statement empties, when it is one of
 * `database` (unqualified names are resolved against the statement's default
 * database); undefined for any other statement.
 */
export function truncatedTable(
  query: string,
  defaultDatabase: string | undefined,
  database: string,
): string | undefined {
  const match =
    /^\s*TRUNCATE\s+(?:TABLE\s+)?(?:(`(?:[^`]|``)+`|[\w$]+)\s*\.\s*)?(`(?:[^`]|``)+`|[\w$]+)\s*;?\s*$/i.exec(
      query,
    );
  if (match === null) return undefined;
  const unquote = (name: string) => (name.startsWith('`') ? name.slice(1, -1).replaceAll('``', '`') : name);
  const db = match[1] === undefined ? defaultDatabase : unquote(match[1]);
  return db === database ? unquote(match[2] as string) : undefined;
}
