import type { TableSchema } from '../core/change-event.js';

/**
 * How errors and logs name a captured table: `source/database.table`, with the
 * PostgreSQL schema when there is one (`appdb/app.public.tenants`), so a
 * message says which table of which source is at fault.
 */
export function tableLabel(table: Pick<TableSchema, 'source' | 'database' | 'schema' | 'table'>): string {
  const schema = table.schema === undefined ? '' : `${table.schema}.`;
  return `${table.source}/${table.database}.${schema}${table.table}`;
}
