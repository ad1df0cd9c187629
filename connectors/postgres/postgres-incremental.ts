import pg from 'pg';
import type { TableSchema } from '../../src/core/change-event.js';
import type { PostgresSslConfig } from '../../src/core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import type { IncrementalDialect, IncrementalSession } from '../incremental-snapshot-connector.js';
import type { SignalRow } from '../signal-table.js';
import {
  asSourceError,
  clientConfig,
  parseTableName,
  pgSetupError,
  quoteIdent,
  quoteTable,
  sqlState,
  tableLabel,
} from './postgres-connection.js';
import type { PostgresPrepared } from './postgres-connector.js';
import { decodeTuple, type Tuple } from './postgres-emitter.js';

// The PostgreSQL parts of incremental snapshots (connectors/incremental-snapshot.ts):
// the signal table's existence, the watermark INSERT and the chunk SELECT.
// Signal rows arrive through the publication like any captured table's rows,
// so the signal table must be in the source's publication.

export interface PostgresIncrementalOptions {
  source: string;
  url: string;
  /** `sources[].postgres.ssl`: TLS for every connection. */
  ssl?: PostgresSslConfig | undefined;
  /** "table" (schema public) or "schema.table". */
  signalTable: string;
}

/** Every column as PostgreSQL's text, as the stream and the snapshot read them. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

export function postgresIncrementalDialect(
  options: PostgresIncrementalOptions,
): IncrementalDialect<PostgresPrepared> {
  const { signalTable } = options;
  const label = (name: string) => tableLabel(parseTableName(name));
  return {
    signalTable,
    label,
    labelOf: (table) => `${table.schema}.${table.table}`,

    async signalTableExists() {
      const client = await connect(options, 'checking the signal table');
      try {
        const { rows } = await client.query<{ found: boolean }>(
          'SELECT to_regclass($1) IS NOT NULL AS found',
          [quoteTable(parseTableName(signalTable))],
        );
        return rows[0]?.found === true;
      } catch (error) {
        throw asSourceError(error, `checking the signal table ${signalTable}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    },

    async open({ initialSchemas }): Promise<IncrementalSession> {
      const client = await connect(options, 'opening the incremental snapshot connection');
      return {
        writeSignal: (row) => insertSignal(client, options, row),
        async readChunk(table, after, limit, latest) {
          const schema = latest ?? initialSchemas.get(table);
          if (!schema) throw new TypeError(`no schema for captured table ${table}`);
          const { text, values } = chunkQuery(schema, after, limit);
          try {
            const { rows } = await client.query<Tuple>({
              text,
              values: values as unknown[],
              types: TEXT_TYPES,
            });
            return { schema, rows: rows.map((row) => decodeTuple(schema, row)) };
          } catch (error) {
            throw asSourceError(error, `reading a chunk of ${table}`);
          }
        },
        close: () => client.end(),
      };
    },
  };
}

/** Inserts a signal row into the signal table of `url` (what `rowkube snapshot --table` does). */
export async function insertPostgresSignal(
  options: PostgresIncrementalOptions,
  row: SignalRow,
): Promise<void> {
  const client = await connect(options, 'sending a signal');
  try {
    await insertSignal(client, options, row);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function connect(options: PostgresIncrementalOptions, what: string): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(options.url, options.ssl));
  // An idle connection that dies emits 'error'; the next query on it fails and says so.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw pgSetupError(error, options.url, options.source, options.ssl) ?? asSourceError(error, what);
  }
  return client;
}

async function insertSignal(
  client: pg.Client,
  options: PostgresIncrementalOptions,
  row: SignalRow,
): Promise<void> {
  const table = quoteTable(parseTableName(options.signalTable));
  try {
    await client.query(`INSERT INTO ${table} (id, type, data) VALUES ($1, $2, $3)`, [
      row.id,
      row.type,
      row.data,
    ]);
  } catch (error) {
    const user = decodeURIComponent(new URL(options.url).username);
    if (sqlState(error) === '42501') {
      throw new RowkubeError(
        ErrorCode.PRIVILEGES,
        `source ${options.source}: the user ${user} may not insert into the signal table ${options.signalTable}: ` +
          `GRANT INSERT ON ${table} TO ${quoteIdent(user)}`,
        false,
        { cause: error },
      );
    }
    if (sqlState(error) === '42P01') {
      throw new RowkubeError(
        ErrorCode.TABLE_NOT_FOUND,
        `source ${options.source}: the signal table ${options.signalTable} does not exist: ` +
          'create it as docs/capture.md "Incremental snapshots" shows',
        false,
        { cause: error },
      );
    }
    throw asSourceError(error, `inserting into the signal table ${options.signalTable}`);
  }
}

/**
 * The chunk SELECT: rows after `after` in primary-key order. Key values are
 * sent as text and cast to the column's type, so the comparison is the
 * column's own (a row comparison keeps composite keys in order).
 */
export function chunkQuery(
  schema: TableSchema,
  after: readonly unknown[] | null,
  limit: number,
): { text: string; values: unknown[] } {
  const columns = schema.columns.map((c) => quoteIdent(c.name)).join(', ');
  const key = schema.primaryKey.map(quoteIdent);
  const from = quoteTable({ schema: schema.schema ?? 'public', table: schema.table });
  let where = '';
  if (after !== null) {
    const casts = schema.primaryKey.map((name, i) => {
      const type = schema.columns.find((c) => c.name === name)?.sourceType;
      return type ? `$${i + 1}::${type}` : `$${i + 1}`;
    });
    where = ` WHERE (${key.join(', ')}) > (${casts.join(', ')})`;
  }
  return {
    text: `SELECT ${columns} FROM ${from}${where} ORDER BY ${key.join(', ')} LIMIT ${Math.trunc(limit)}`,
    values: after === null ? [] : after.map((v) => (typeof v === 'bigint' ? v.toString() : v)),
  };
}
