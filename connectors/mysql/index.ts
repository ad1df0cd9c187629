// MySQL/MariaDB capture: preflight → snapshot (first start) → binlog stream.
//
// The roles, one file each, as in connectors/postgres:
//   mysql-connector.ts   the SourceConnector: the roles below behind one interface
//   mysql-preflight.ts   checks before anything starts (stable error codes)
//   mysql-snapshot.ts    consistent snapshot (op 'r')
//   mysql-source.ts      the stream: binlog events → sink, commit at transaction ends
//   mysql-emitter.ts     binlog rows event → RowChange (pure)
//   mysql-schema.ts      TableSchema from information_schema
//   mysql-schema-history.ts  which definition describes a row event at its position (pure)
//   mysql-types.ts       MySQL types and values → ColumnKind (pure)
//   mysql-offset.ts      the position (file/pos/gtid) and its codec (pure)
//   mysql-connection.ts  session settings, transient driver errors

import type { Logger } from 'pino';
import type { ChangeSink, SchemaVersion, SourcePosition } from '../../src/core/change-event.js';
import { runCapture } from '../run-capture.js';
import { type MysqlConnectorOptions, mysqlConnector } from './mysql-connector.js';

export { type MysqlConnector, type MysqlConnectorOptions, mysqlConnector } from './mysql-connector.js';

export interface MysqlCaptureOptions extends MysqlConnectorOptions {
  sink: ChangeSink;
  /** The last position the sink committed, or undefined on a first start. */
  loadOffset: () => Promise<SourcePosition | undefined>;
  /** The stored schema history (CaptureTarget.loadSchemaHistory); none by default. */
  loadSchemaHistory?: () => Promise<SchemaVersion[]>;
  logger?: Logger;
  signal: AbortSignal;
  /** Rows per snapshot chunk (one Kafka commit with the progress). Default 10,000. */
  snapshotChunkRows?: number;
  /** Told when the binlog stream is connected (true) and when it was lost (false): readiness. */
  onStreaming?: (streaming: boolean) => void;
}

/**
 * Captures the tables until the signal aborts: runCapture with the MySQL
 * connector. A lost connection is retried with backoff from the last
 * committed position; a misconfiguration (preflight) rejects at once with its
 * error code.
 */
export async function runMysqlCapture(options: MysqlCaptureOptions): Promise<void> {
  const { sink, loadOffset, loadSchemaHistory, logger, signal, onStreaming } = options;
  return runCapture(
    mysqlConnector(options),
    { sink, loadOffset, ...(loadSchemaHistory === undefined ? {} : { loadSchemaHistory }) },
    {
      signal,
      logger,
      onReadiness: onStreaming && ((ready) => onStreaming(ready)),
      snapshotChunkRows: options.snapshotChunkRows,
    },
  );
}
