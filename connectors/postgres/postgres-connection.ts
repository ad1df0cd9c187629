// What every PostgreSQL connection of the connector shares: the session
// settings that fix the text form of values, table and slot names, and which
// driver errors are transient.

import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import type { PostgresSslConfig } from '../../src/core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { sourceCredentialsError } from '../source-credentials.js';
import { sourceTlsError } from '../source-tls.js';

/**
 * Session settings sent in the startup packet of every connection, the
 * replication ones included (the walsender prints pgoutput values with them).
 * postgres-types.ts parses exactly these formats, whatever the server's
 * postgresql.conf or the role's defaults say.
 */
export const SESSION_OPTIONS = [
  '-c DateStyle=ISO',
  '-c TimeZone=UTC',
  '-c IntervalStyle=postgres',
  '-c extra_float_digits=3',
  '-c bytea_output=hex',
  '-c client_encoding=UTF8',
].join(' ');

/**
 * node-postgres' `ssl` for a libpq-style mode. pg has no fallback between
 * plaintext and TLS, so allow connects in plaintext and prefer insists on TLS
 * (as require). Without `ca`, require and prefer do not verify (as libpq); with
 * it they verify the chain, like verify-ca.
 */
export function pgSsl(ssl: PostgresSslConfig): false | ConnectionOptions {
  if (ssl.mode === 'disable' || ssl.mode === 'allow') return false;
  const keys = { ca: ssl.ca, cert: ssl.cert, key: ssl.key };
  if ((ssl.mode === 'prefer' || ssl.mode === 'require') && ssl.ca === undefined)
    return { ...keys, rejectUnauthorized: false };
  if (ssl.mode === 'verify-full') return { ...keys, rejectUnauthorized: true };
  // verify-ca: the chain, not the host name.
  return { ...keys, rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

/** The sslmode a postgres:// URL names, if any. */
export function urlSslMode(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('sslmode') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The SOURCE_TLS or SOURCE_AUTH error a driver error stands for, if any: a
 * misconfiguration that retrying cannot mend (connectors/source-tls.ts,
 * source-credentials.ts).
 */
export function pgSetupError(error: unknown, url: string, source: string, ssl?: PostgresSslConfig) {
  const mode = urlSslMode(url) ?? ssl?.mode ?? 'disable';
  return (
    sourceTlsError(error, { database: 'postgres', source, tls: mode !== 'disable' && mode !== 'allow' }) ??
    sourceCredentialsError(error, { database: 'postgres', source })
  );
}

const SSL_MODES = new Set(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);
const URL_TLS_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey'];

/**
 * A pg client configuration for `url` with SESSION_OPTIONS after any `options`
 * the URL carries. Without `ssl` the URL's own sslmode (and certificate files)
 * apply as before. With it, a sslmode in the URL still chooses the mode, but the
 * certificates are `ssl`'s: pg would otherwise let the connection string's TLS
 * parameters replace the whole `ssl` object, CA and all.
 */
export function clientConfig(url: string, ssl?: PostgresSslConfig): pg.ClientConfig {
  let own: string | null = null;
  let connectionString = url;
  let tls: PostgresSslConfig | undefined = ssl;
  try {
    const parsed = new URL(url);
    own = parsed.searchParams.get('options');
    const mode = parsed.searchParams.get('sslmode');
    if (ssl) {
      if (mode !== null && SSL_MODES.has(mode)) tls = { ...ssl, mode: mode as PostgresSslConfig['mode'] };
      for (const name of URL_TLS_PARAMETERS) parsed.searchParams.delete(name);
      connectionString = parsed.toString();
    }
  } catch {
    // Not a URL (a key=value connection string): pg parses it; it keeps its own options.
  }
  return {
    connectionString,
    ...(tls && { ssl: pgSsl(tls) }),
    options: own ? `${own} ${SESSION_OPTIONS}` : SESSION_OPTIONS,
    application_name: 'rowkube',
    // A peer that vanished without closing the connection is noticed by TCP keepalives.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

/** A captured table by its PostgreSQL schema and name, both exact (case-sensitive, unquoted). */
export interface TableRef {
  schema: string;
  table: string;
}

/** "schema.table" or "table" (schema public). Names are taken literally: `Tenants` is not `tenants`. */
export function parseTableName(name: string): TableRef {
  const dot = name.indexOf('.');
  const ref =
    dot < 0 ? { schema: 'public', table: name } : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
  if (!ref.schema || !ref.table || ref.table.includes('.')) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `table name ${JSON.stringify(name)} is not "table" or "schema.table"`,
    );
  }
  return ref;
}

/** "schema.table" for messages and logs. */
export function tableLabel(ref: TableRef): string {
  return `${ref.schema}.${ref.table}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The table's name as SQL: "schema"."table". */
export function quoteTable(ref: TableRef): string {
  return `${quoteIdent(ref.schema)}.${quoteIdent(ref.table)}`;
}

/**
 * Slot names are interpolated into replication commands, which take no
 * parameters; PostgreSQL allows only lower-case letters, digits and "_".
 */
export function checkSlotName(slot: string): string {
  if (!/^[a-z0-9_]{1,63}$/.test(slot)) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `replication slot name ${JSON.stringify(slot)} is invalid: use 1 to 63 lower-case letters, digits and "_"`,
    );
  }
  return slot;
}

/**
 * Publication names go into START_REPLICATION's options, which PostgreSQL
 * parses as unquoted identifiers (folded to lower case): keep them lower-case
 * and plain, so that the name created is the name streamed.
 */
export function checkPublicationName(publication: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(publication)) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `publication name ${JSON.stringify(publication)} is invalid: use lower-case letters, digits and "_" (at most 63)`,
    );
  }
  return publication;
}

/** The SQLSTATE of a server error, if `error` is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

// Transient: the network, a restarting server, a slot still held by a walsender
// that has not yet noticed that its client went away, too many connections.
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '55006', '53300', '08000', '08003', '08006']);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** True for the driver and server errors after which connecting again may succeed. */
export function isTransientPgError(error: unknown): boolean {
  const state = sqlState(error);
  if (state) return TRANSIENT_SQLSTATES.has(state) || state.startsWith('08');
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_NODE_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|connection (?:is )?closed|socket hang up|timeout expired/i.test(message);
}

/**
 * Wraps a driver error: transient ones become retriable SOURCE_CONNECTION
 * errors, RowkubeErrors pass through, anything else keeps its identity (it is
 * a bug or a misconfiguration that retrying will not fix).
 */
export function asSourceError(error: unknown, what: string): unknown {
  if (error instanceof RowkubeError) return error;
  if (isTransientPgError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new RowkubeError(ErrorCode.SOURCE_CONNECTION, `${what}: ${message}`, true, { cause: error });
  }
  return error;
}
