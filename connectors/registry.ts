import type { SourceConfig } from '../src/core/config/config-schema.js';
import type { SourceConnector } from '../src/core/source-connector.js';
import { withIncrementalSnapshots } from './incremental-snapshot-connector.js';
import { mysqlUrlDatabase } from './mysql/mysql-connection.js';
import { mysqlConnector } from './mysql/mysql-connector.js';
import { mysqlIncrementalDialect } from './mysql/mysql-incremental.js';
import { postgresConnector } from './postgres/postgres-connector.js';
import { postgresIncrementalDialect } from './postgres/postgres-incremental.js';

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
  // Incremental snapshots (connectors/incremental-snapshot-connector.ts) wrap each connector.
  const { signalTable, chunkSize } = source.incrementalSnapshots;
  if (mysql) {
    return withIncrementalSnapshots({
      connector: (captured) =>
        mysqlConnector({ name, url: mysql.url, ssl: mysql.ssl, tables: captured, serverId: mysql.serverId }),
      tables,
      chunkSize,
      dialect: mysqlIncrementalDialect({
        source: name,
        url: mysql.url,
        ssl: mysql.ssl,
        database: mysqlUrlDatabase(mysql.url),
        signalTable,
      }),
    }) as SourceConnector;
  }
  if (postgres) {
    return withIncrementalSnapshots({
      connector: (captured) =>
        postgresConnector({
          name,
          url: postgres.url,
          ssl: postgres.ssl,
          tables: captured,
          slot: postgres.slot ?? defaultPostgresName(name),
          publication: postgres.publication ?? defaultPostgresName(name),
        }),
      tables,
      chunkSize,
      dialect: postgresIncrementalDialect({
        source: name,
        url: postgres.url,
        ssl: postgres.ssl,
        signalTable,
      }),
    }) as SourceConnector;
  }
  // The configuration schema requires exactly one database per source.
  throw new TypeError(`source ${name} configures no database (mysql or postgres)`);
}
