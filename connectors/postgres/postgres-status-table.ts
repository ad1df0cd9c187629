import pg from 'pg';
import type { PostgresSslConfig } from '../../src/core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import {
  missingColumnsError,
  STATUS_TABLE_COLUMNS,
  type StatusTableStore,
  statusRowValues,
} from '../../src/core/status-table.js';
import {
  clientConfig,
  parseTableName,
  pgSetupError,
  quoteIdent,
  quoteTable,
  sqlState,
  tableLabel,
} from './postgres-connection.js';

// A hub's status table in PostgreSQL (src/core/status-table.ts). One
// connection, opened again after the server went away. Rows are upserted with
// a guard on updated_at, so two sinks that both follow the status topic never
// put an older state over a newer one. The table is not in the publication, so
// capture never sees its writes.

export interface PostgresStatusTableOptions {
  source: string;
  url: string;
  ssl?: PostgresSslConfig | undefined;
  table: string;
}

const COLUMN_TYPES: Record<(typeof STATUS_TABLE_COLUMNS)[number], string> = {
  node_id: 'text NOT NULL PRIMARY KEY',
  hub: 'text NOT NULL',
  form: 'text NOT NULL',
  uid: 'text NOT NULL',
  state: 'text NOT NULL',
  objects_ready: 'integer NOT NULL',
  objects_total: 'integer NOT NULL',
  applied_position: 'text',
  commit_ts: 'timestamptz(3)',
  error_code: 'text',
  error_message: 'text',
  state_since: 'timestamptz(3) NOT NULL',
  updated_at: 'timestamptz(3) NOT NULL',
};

/** The CREATE TABLE rowkube runs when the table is missing (docs/status-table.md shows it too). */
export function postgresStatusTableDdl(table: string): string {
  const columns = STATUS_TABLE_COLUMNS.map((c) => `  ${quoteIdent(c)} ${COLUMN_TYPES[c]}`);
  return `CREATE TABLE IF NOT EXISTS ${table} (\n${columns.join(',\n')}\n)`;
}

const TIMESTAMPS: ReadonlySet<string> = new Set(['commit_ts', 'state_since', 'updated_at']);

export function postgresStatusTable(options: PostgresStatusTableOptions): StatusTableStore {
  const ref = parseTableName(options.table);
  const table = quoteTable(ref);
  const label = `source '${options.source}' table '${tableLabel(ref)}'`;
  let open: Promise<pg.Client> | undefined;

  const client = () => {
    open ??= (async () => {
      const c = new pg.Client(clientConfig(options.url, options.ssl));
      // An idle connection that dies emits 'error'; the next query on it fails and is retried.
      c.on('error', () => {
        open = undefined;
      });
      try {
        await c.connect();
      } catch (error) {
        await c.end().catch(() => undefined);
        throw pgSetupError(error, options.url, options.source, options.ssl) ?? error;
      }
      return c;
    })();
    return open;
  };
  const run = async (sql: string, values?: unknown[]) => {
    const c = await client().catch((error: unknown) => {
      open = undefined;
      throw error;
    });
    try {
      return await c.query(sql, values);
    } catch (error) {
      // No SQLSTATE: the connection itself failed; open a new one next time.
      if (sqlState(error) === undefined) {
        open = undefined;
        await c.end().catch(() => undefined);
      }
      if (sqlState(error) === '42501') {
        const user = decodeURIComponent(new URL(options.url).username);
        throw new RowkubeError(
          ErrorCode.PRIVILEGES,
          `source ${options.source}: the user ${user} may not write the status table ${tableLabel(ref)} (hubs[].status): ` +
            `GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${quoteIdent(user)} (and CREATE on the schema, or create it as docs/status-table.md shows)`,
          false,
          { cause: error },
        );
      }
      throw error;
    }
  };

  return {
    label,
    async prepare() {
      const columns = async () => {
        const { rows } = await run(
          'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
          [ref.schema, ref.table],
        );
        return new Set(rows.map((r: { name: string }) => r.name));
      };
      // Created only when missing: a user given the table but not CREATE must not need it.
      let have = await columns();
      if (have.size === 0) {
        await run(postgresStatusTableDdl(table));
        have = await columns();
      }
      const shape = missingColumnsError(label, have);
      if (shape) throw shape;
    },
    async rows(forms) {
      if (forms.length === 0) return new Map();
      const { rows } = await run(
        `SELECT node_id, floor(extract(epoch FROM updated_at) * 1000)::bigint::text AS ms FROM ${table} WHERE form = ANY($1)`,
        [forms],
      );
      return new Map(rows.map((r: { node_id: string; ms: string }) => [r.node_id, Number(r.ms)]));
    },
    async upsert(rows) {
      if (rows.length === 0) return;
      const width = STATUS_TABLE_COLUMNS.length;
      const tuples = rows.map(
        (_, r) =>
          `(${STATUS_TABLE_COLUMNS.map((c, i) => {
            const p = `$${r * width + i + 1}`;
            return TIMESTAMPS.has(c) ? `to_timestamp(${p}::double precision / 1000)` : p;
          }).join(', ')})`,
      );
      const assignments = STATUS_TABLE_COLUMNS.filter((c) => c !== 'node_id')
        .map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`)
        .join(', ');
      await run(
        `INSERT INTO ${table} AS t (${STATUS_TABLE_COLUMNS.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')} ` +
          `ON CONFLICT (node_id) DO UPDATE SET ${assignments} WHERE t.updated_at <= EXCLUDED.updated_at`,
        rows.flatMap(statusRowValues),
      );
    },
    async remove(nodeIds) {
      if (nodeIds.length === 0) return;
      await run(`DELETE FROM ${table} WHERE node_id = ANY($1)`, [nodeIds]);
    },
    async close() {
      const current = open;
      open = undefined;
      if (current) await (await current.catch(() => undefined))?.end().catch(() => undefined);
    },
  };
}
