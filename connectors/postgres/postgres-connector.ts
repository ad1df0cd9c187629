import pg from 'pg';
import type { ChangeSink, TableSchema } from '../../src/core/change-event.js';
import type { PostgresSslConfig } from '../../src/core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import type { SourceConnector } from '../../src/core/source-connector.js';
import {
  asSourceError,
  checkPublicationName,
  checkSlotName,
  clientConfig,
  isTransientPgError,
  parseTableName,
  pgSetupError,
  type TableRef,
  tableLabel,
} from './postgres-connection.js';
import { type PostgresOffset, postgresOffsetCodec } from './postgres-offset.js';
import { runPreflight, takeOverSlot } from './postgres-preflight.js';
import { ensurePublication } from './postgres-publication.js';
import { type SchemaContext, sameShape, TypeCatalog, tableSchemaFromCatalog } from './postgres-schema.js';
import { dropSlot, runSnapshot } from './postgres-snapshot.js';
import { streamPostgres } from './postgres-source.js';

// The PostgreSQL source as a SourceConnector: logical replication through a
// slot and a publication, run by connectors/run-capture.ts.

export interface PostgresConnectorOptions {
  /** The source's configured name: TableSchema.source, and the name its offset is stored under. */
  name: string;
  /** postgres://user:password@host:port/database of the capture user (REPLICATION, reads every captured table). */
  url: string;
  /** `sources[].postgres.ssl`: TLS for every connection. */
  ssl?: PostgresSslConfig | undefined;
  /** Replication slot: lower-case letters, digits, "_". Created by the first start (with the snapshot). */
  slot: string;
  /** Publication; created if missing when the capture user owns the tables, otherwise the error says what to run. */
  publication: string;
  /** "schema.table" or "table" (schema public); exact, case-sensitive names. */
  tables: readonly string[];
  /** Keepalive request and idle position commit interval (ms). Default 10 000. */
  heartbeatIntervalMs?: number | undefined;
}

/** What preflight found, for the snapshot and the stream. */
export interface PostgresPrepared {
  context: SchemaContext;
  /** Catalog schemas by "schema.table". */
  initialSchemas: Map<string, TableSchema>;
  /** The slot exists already; without a stored position (or snapshot to resume) it is dropped before the snapshot. */
  slotExists: boolean;
  /** The last definition of each table in the schema history, by "schema.table" (kept current by snapshot and stream). */
  recordedSchemas: Map<string, TableSchema>;
}

export type PostgresConnector = SourceConnector<PostgresPrepared, PostgresOffset>;

/** Throws a RowkubeError (CONFIG) for an invalid slot, publication or table name, or no table. */
export function postgresConnector(options: PostgresConnectorOptions): PostgresConnector {
  const { name, url, ssl } = options;
  const slot = checkSlotName(options.slot);
  const publication = checkPublicationName(options.publication);
  const tables: TableRef[] = [
    ...new Map(options.tables.map(parseTableName).map((t) => [tableLabel(t), t])).values(),
  ];
  if (tables.length === 0) {
    throw new RowkubeError(ErrorCode.CONFIG, `source ${name} captures no table: list at least one in tables`);
  }
  return {
    kind: 'postgres',
    name,
    offsetCodec: postgresOffsetCodec,
    isTransient: isTransientPgError,

    async preflight(offset, { logger, schemaHistory }) {
      const client = new pg.Client(clientConfig(url, ssl));
      client.on('error', (error) => logger.debug({ err: error }, 'preflight connection error'));
      try {
        await client.connect().catch((error: unknown) => {
          throw pgSetupError(error, url, name, ssl) ?? asSourceError(error, 'connecting to PostgreSQL');
        });
        const result = await runPreflight(client, { tables, slot, offset, source: name });
        if (result.slot?.active) await takeOverSlot(client, slot, logger);
        for (const warning of result.warnings)
          logger.warn({ table: warning.table, action: 'preflight' }, warning.message);
        await ensurePublication(client, publication, result.tables, logger);
        const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
        const context = { source: name, database: rows[0]?.db ?? '' };
        const types = new TypeCatalog();
        await types.load(
          client,
          result.tables.flatMap((t) => t.columns.map((c) => c.typeOid)),
        );
        const initialSchemas = new Map<string, TableSchema>();
        for (const table of result.tables) {
          initialSchemas.set(tableLabel(table.ref), tableSchemaFromCatalog(context, table, types.describe));
        }
        const recordedSchemas = new Map<string, TableSchema>();
        for (const { table } of schemaHistory ?? []) {
          if (table.source === name && table.database === context.database && table.schema !== undefined)
            recordedSchemas.set(`${table.schema}.${table.table}`, table);
        }
        return { context, initialSchemas, slotExists: result.slot !== undefined, recordedSchemas };
      } finally {
        await client.end().catch(() => undefined);
      }
    },

    async snapshot({ context, slotExists, initialSchemas, recordedSchemas }, sink, capture, resumeFrom) {
      if (slotExists && resumeFrom === undefined) {
        // No snapshot to resume and no stream position stored: nothing depends on the slot.
        capture.logger.warn(
          { action: 'slot-reset', slot },
          'slot exists but no position is stored: dropping it to snapshot again',
        );
        await dropSlot(url, slot, capture.logger, ssl);
      }
      // The definitions the snapshot reads with, recorded in its transactions.
      const recording: ChangeSink = {
        append: (change) => sink.append(change),
        commit: (info) => {
          for (const [label, table] of initialSchemas) {
            const recorded = recordedSchemas.get(label);
            if (recorded !== undefined && sameShape(recorded, table)) continue;
            sink.recordSchema?.({ position: info.position, table });
            recordedSchemas.set(label, table);
          }
          return sink.commit(info);
        },
      };
      return runSnapshot({ url, ssl, slot, tables, context, sink: recording, capture, resumeFrom });
    },

    stream({ context, initialSchemas, recordedSchemas }, from, sink, { logger, signal, streaming }) {
      return streamPostgres({
        url,
        ssl,
        slot,
        publication,
        tables,
        context,
        initialSchemas,
        recordedSchemas,
        sink,
        startLsn: from.lsn,
        logger,
        signal,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        onStreaming: streaming,
      });
    },
  };
}
