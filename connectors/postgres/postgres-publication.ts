// The publication that names the captured tables for pgoutput.

import type { Logger } from 'pino';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { quoteIdent, quoteTable, sqlState, tableLabel } from './postgres-connection.js';
import type { CatalogTable, Queryable } from './postgres-schema.js';

/**
 * Makes sure publication `name` exists, publishes inserts, updates and deletes
 * (truncates too when it creates it; an existing publication without them
 * gets a warning, since TRUNCATE is then not captured) (and partitioned tables under their own name), and includes every captured
 * table; creates or extends it when the capture user may (it must own the
 * tables), and otherwise says what the owner must run.
 */
export async function ensurePublication(
  client: Queryable,
  name: string,
  tables: readonly CatalogTable[],
  logger: Logger,
): Promise<void> {
  const refs = tables.map((t) => t.ref);
  const { rows } = await client.query<{
    pubinsert: boolean;
    pubupdate: boolean;
    pubdelete: boolean;
    pubtruncate: boolean;
    pubviaroot: boolean;
  }>(
    'SELECT pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot FROM pg_publication WHERE pubname = $1',
    [name],
  );
  const publication = rows[0];
  if (!publication) {
    const sql =
      `CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${refs.map(quoteTable).join(', ')} ` +
      "WITH (publish = 'insert, update, delete, truncate', publish_via_partition_root = true)";
    await runAsCaptureUser(client, sql, `publication ${name} does not exist`);
    logger.info({ action: 'publication-created', publication: name }, 'publication created');
    return;
  }
  if (!publication.pubinsert || !publication.pubupdate || !publication.pubdelete) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `publication ${name} does not publish every insert, update and delete: ` +
        `ALTER PUBLICATION ${quoteIdent(name)} SET (publish = 'insert, update, delete, truncate')`,
    );
  }
  if (!publication.pubtruncate) {
    logger.warn(
      { action: 'publication-without-truncate', publication: name },
      `publication ${name} does not publish TRUNCATE: a truncated table's rows stay in the change topic; ` +
        `ALTER PUBLICATION ${quoteIdent(name)} SET (publish = 'insert, update, delete, truncate')`,
    );
  }
  const partitioned = tables.filter((t) => t.relkind === 'p');
  if (partitioned.length > 0 && !publication.pubviaroot) {
    // Otherwise changes arrive under each partition's name, and the partitioned table would look idle.
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `publication ${name} publishes the partitions of ${partitioned.map((t) => tableLabel(t.ref)).join(', ')} ` +
        `under their own names: ALTER PUBLICATION ${quoteIdent(name)} SET (publish_via_partition_root = true)`,
    );
  }
  const published = await client.query<{ schemaname: string; tablename: string }>(
    'SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1',
    [name],
  );
  const have = new Set(published.rows.map((r) => `${r.schemaname}.${r.tablename}`));
  const missing = refs.filter((t) => !have.has(tableLabel(t)));
  if (missing.length === 0) return;
  const sql = `ALTER PUBLICATION ${quoteIdent(name)} ADD TABLE ${missing.map(quoteTable).join(', ')}`;
  await runAsCaptureUser(client, sql, `publication ${name} lacks ${missing.map(tableLabel).join(', ')}`);
  logger.info(
    { action: 'publication-extended', publication: name, tables: missing.map(tableLabel) },
    'tables added',
  );
}

async function runAsCaptureUser(client: Queryable, sql: string, why: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    if (sqlState(error) === '42501') {
      throw new RowkubeError(
        ErrorCode.PRIVILEGES,
        `${why} and the capture user may not change it (${error instanceof Error ? error.message : error}; ` +
          `publishing a table takes its owner): run as the table owner: ${sql}`,
        false,
        { cause: error },
      );
    }
    throw error;
  }
}
