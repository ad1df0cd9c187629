import { createHash } from 'node:crypto';
import type { ChangeSink, TableSchema } from '../../src/core/change-event.js';
import type { MysqlSslConfig } from '../../src/core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import type { SourceConnector } from '../../src/core/source-connector.js';
import { connectMysql, isTransientMysqlError, mysqlUrlDatabase } from './mysql-connection.js';
import {
  compareMysqlPositions,
  type MysqlPosition,
  mysqlOffsetCodec,
  parseMysqlPosition,
} from './mysql-offset.js';
import { mysqlPreflight } from './mysql-preflight.js';
import { loadMysqlTableSchema } from './mysql-schema.js';
import { MysqlSchemaHistory } from './mysql-schema-history.js';
import { snapshotMysql } from './mysql-snapshot.js';
import { streamMysql } from './mysql-source.js';

// The MySQL/MariaDB source as a SourceConnector: binlog capture, run by
// connectors/run-capture.ts.

export interface MysqlConnectorOptions {
  /** The source's name in the configuration; names topics and the offset. */
  name: string;
  /** mysql://user:password@host:port/database — unqualified tables live in that database. */
  url: string;
  /** `sources[].mysql.ssl`: TLS for every connection. */
  ssl?: MysqlSslConfig | undefined;
  tables: readonly string[];
  /** Binlog reader id; defaults to one derived from the source name. */
  serverId?: number | undefined;
}

/** What preflight found: the captured tables as the server describes them now. */
export interface MysqlPrepared {
  /** By table name; the stream replaces an entry after an ALTER. */
  schemas: Map<string, TableSchema>;
  /** The schema history as stored, plus what this attempt records. */
  history: MysqlSchemaHistory;
  /** MySQL: the stored file is purged but its GTID set is complete; stream from the set. */
  resumeFromGtid: boolean;
}

export type MysqlConnector = SourceConnector<MysqlPrepared, MysqlPosition>;

/** Throws a TypeError for a URL that names no database. */
export function mysqlConnector(options: MysqlConnectorOptions): MysqlConnector {
  const { name, url } = options;
  const endpoint = { ssl: options.ssl, source: name };
  const database = mysqlUrlDatabase(url);
  const serverId = options.serverId ?? defaultServerId(name);
  return {
    kind: 'mysql',
    name,
    offsetCodec: mysqlOffsetCodec,
    isTransient: isTransientMysqlError,

    async preflight(from, { logger, schemaHistory }) {
      const connection = await connectMysql(url, endpoint);
      try {
        const checked = await mysqlPreflight(connection, name, from);
        for (const warning of checked.warnings) logger.warn(warning);
        const schemas = new Map<string, TableSchema>();
        for (const table of options.tables) {
          const schema = await loadMysqlTableSchema(connection, name, database, table);
          if (schema.primaryKey.length === 0) {
            throw new RowkubeError(
              ErrorCode.NO_PRIMARY_KEY,
              `source ${name}: table ${database}.${table} has no primary key; rowkube keys every change topic by it — add one (ALTER TABLE ${table} ADD PRIMARY KEY (…))`,
            );
          }
          schemas.set(table, schema);
        }
        const history = new MysqlSchemaHistory(
          database,
          (a, b) => compareMysqlPositions(parseMysqlPosition(a), parseMysqlPosition(b)),
          schemaHistory,
        );
        return { schemas, history, resumeFromGtid: checked.resumeFromGtid };
      } finally {
        await connection.end().catch(() => undefined);
      }
    },

    snapshot({ schemas, history }, sink, context, resumeFrom) {
      // The definitions the snapshot reads with are in force from its
      // position: recorded with its first commit, in that commit's transaction.
      const recording: ChangeSink = {
        append: (change) => sink.append(change),
        commit: (info) => {
          for (const table of schemas.values()) {
            const version = { position: info.position, table };
            if (history.add(version)) sink.recordSchema?.(version);
          }
          return sink.commit(info);
        },
      };
      return snapshotMysql({
        url,
        ssl: options.ssl,
        source: name,
        tables: [...schemas.values()],
        sink: recording,
        context,
        resumeFrom,
      });
    },

    async stream({ schemas, history, resumeFromGtid }, from, sink, { logger, signal, streaming }) {
      logger.info({ position: from, resumeFromGtid }, 'streaming the binlog');
      // Reloads a table's definition after an ALTER, on a connection of its own.
      const reloadConnection = await connectMysql(url, endpoint);
      try {
        await streamMysql({
          source: name,
          url,
          ssl: options.ssl,
          database,
          schemas,
          reloadSchema: (table) => loadMysqlTableSchema(reloadConnection, name, database, table),
          history,
          start: from,
          resumeFromGtid,
          sink,
          serverId,
          logger,
          signal,
          onStreaming: streaming,
        });
      } finally {
        await reloadConnection.end().catch(() => undefined);
      }
    },
  };
}

function defaultServerId(name: string): number {
  // Stable per source, away from the small ids servers themselves use.
  return 100_000 + (createHash('sha1').update(name).digest().readUInt32BE(0) % 1_000_000_000);
}
