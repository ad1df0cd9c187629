import { createConnection } from 'mysql2';
import type mysql from 'mysql2/promise';
import type { MysqlSslConfig } from '../../src/core/config/config-schema.js';
import { sourceCredentialsError } from '../source-credentials.js';
import { sourceTlsError } from '../source-tls.js';

/** A MySQL source's TLS settings (`sources[].mysql.ssl`) and its name. */
export interface MysqlTls {
  ssl?: MysqlSslConfig | undefined;
  /** The source's name, for errors that name the setting to fix. */
  source?: string | undefined;
}

/**
 * Connection settings shared by the snapshot (mysql2) and the binlog stream
 * (zongji passes them to mysql2): the driver returns temporal values as the
 * server's text, JSON as text and 64-bit integers as exact strings, all in UTC,
 * so that mysqlValue() sees the same representation on both paths.
 */
export function mysqlConnectionOptions(url: string, ssl?: MysqlSslConfig): mysql.ConnectionOptions {
  const parsed = new URL(url);
  return {
    // One TLS setting for the binlog and the query connections: mysql2 upgrades
    // the handshake and verifies the certificate (and host name) unless told not to.
    ...(ssl && {
      ssl: {
        ca: ssl.ca,
        cert: ssl.cert,
        key: ssl.key,
        rejectUnauthorized: ssl.rejectUnauthorized,
      },
    }),
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.slice(1) || undefined,
    dateStrings: true,
    jsonStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    timezone: 'Z',
    charset: 'utf8mb4',
  };
}

/** The database named in the URL's path: where unqualified table names live. */
export function mysqlUrlDatabase(url: string): string {
  const database = new URL(url).pathname.slice(1);
  if (!database)
    throw new TypeError(`the MySQL URL names no database (mysql://user:pass@host:port/<database>)`);
  return decodeURIComponent(database);
}

/**
 * A promise-style connection in UTC. `.connection` is the callback-style core
 * connection underneath, whose query().stream() reads big results row by row.
 */
export async function connectMysql(url: string, endpoint?: MysqlTls): Promise<MysqlConnection> {
  const core = createConnection(mysqlConnectionOptions(url, endpoint?.ssl));
  // A connection that dies while idle (server restart) emits 'error' with no
  // query to fail; unheard, that would crash the process. The next query on it
  // fails with the same error, which is where callers handle it.
  core.on('error', () => {});
  const connection = Object.assign(core.promise(), { core });
  try {
    await connection.query("SET SESSION time_zone = '+00:00'");
  } catch (error) {
    core.destroy();
    throw mysqlSetupError(error, endpoint) ?? error;
  }
  return connection;
}

export type MysqlConnection = mysql.Connection & { core: ReturnType<typeof createConnection> };

// Transient: the network, a server restarting or full of connections.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'PROTOCOL_CONNECTION_LOST',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

/**
 * The SOURCE_TLS or SOURCE_AUTH error a driver error stands for, if any: a
 * misconfiguration that retrying cannot mend (connectors/source-tls.ts,
 * source-credentials.ts).
 */
export function mysqlSetupError(error: unknown, endpoint?: MysqlTls) {
  const source = endpoint?.source ?? '?';
  return (
    sourceTlsError(error, { database: 'mysql', source, tls: !!endpoint?.ssl }) ??
    sourceCredentialsError(error, { database: 'mysql', source })
  );
}

/** Driver errors that mean "the server went away", after which connecting again may succeed. */
export function isTransientMysqlError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}
