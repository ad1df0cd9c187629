import type { SourceConfig } from '../src/core/config/config-schema.js';
import type { StatusTableStore } from '../src/core/status-table.js';
import { mysqlStatusTable } from './mysql/mysql-status-table.js';
import { postgresStatusTable } from './postgres/postgres-status-table.js';

// The status table of a hub (`hubs[].status`) in its source's database, as the
// user of the source's URL: the one place that picks the SQL by database.

export function statusTableStore(source: SourceConfig, table: string): StatusTableStore {
  if (source.mysql)
    return mysqlStatusTable({ source: source.name, url: source.mysql.url, ssl: source.mysql.ssl, table });
  if (source.postgres)
    return postgresStatusTable({
      source: source.name,
      url: source.postgres.url,
      ssl: source.postgres.ssl,
      table,
    });
  throw new TypeError(`source ${source.name} configures no database (mysql or postgres)`);
}
