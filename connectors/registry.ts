import type { SourceConfig } from '../src/core/config/config-schema.js';
import type { SourceConnector } from '../src/core/source-connector.js';
import { mysqlConnector } from './mysql/mysql-connector.js';
import { postgresConnector } from './postgres/postgres-connector.js';

// Which connector captures a configured source: the one place that looks at
// `source.mysql` / `source.postgres`. The CLI, the benchmarks and the tests
// pick a connector here; a new database is one more entry.

/** The replication slot and the publication of a PostgreSQL source that names none: rowkube_<source>. */
export function defaultPostgresName(source: string): string {
  return `rowkube_${source.replaceAll('-', '_')}`;
}

/**
 * The connector of one configured source, with the configuration's defaults
 * applied. Throws a RowkubeError (CONFIG) for settings the connector refuses.
 */
export function connectorFor(source: SourceConfig): SourceConnector {
  const { name, tables, mysql, postgres } = source;
  if (mysql) return mysqlConnector({ name, url: mysql.url, tables, serverId: mysql.serverId });
  if (postgres) {
    return postgresConnector({
      name,
      url: postgres.url,
      tables,
      slot: postgres.slot ?? defaultPostgresName(name),
      publication: postgres.publication ?? defaultPostgresName(name),
    });
  }
  // The configuration schema requires exactly one database per source.
  throw new TypeError(`source ${name} configures no database (mysql or postgres)`);
}
