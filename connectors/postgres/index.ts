// PostgreSQL capture: preflight → snapshot (first start) → stream.
//
// The roles, one file each, as in connectors/mysql:
//   postgres-connector.ts  the SourceConnector: the roles below behind one interface
//   postgres-preflight.ts  checks before anything starts (stable error codes)
//   postgres-snapshot.ts   slot creation + consistent snapshot (op 'r')
//   postgres-source.ts     the stream: transactions → sink, acknowledgements, keepalives
//   postgres-pgoutput.ts   pg-logical-replication's pgoutput plugin with text values; status updates
//   postgres-publication.ts  the publication (created or extended when the capture user may)
//   postgres-emitter.ts    pgoutput row message → RowChange (pure)
//   postgres-schema.ts     TableSchema from the catalog and from Relation messages
//   postgres-types.ts      PostgreSQL types and text values → ColumnKind (pure)
//   postgres-offset.ts     the position (LSN) and its codec (pure)
//   postgres-connection.ts session settings, names, transient driver errors

import type { Logger } from 'pino';
import type { ChangeSink, SourcePosition } from '../../src/core/change-event.js';
import { runCapture } from '../run-capture.js';
import { type PostgresConnectorOptions, postgresConnector } from './postgres-connector.js';

export {
  type PostgresConnector,
  type PostgresConnectorOptions,
  postgresConnector,
} from './postgres-connector.js';
export {
  compareLsn,
  formatLsn,
  type PostgresOffset,
  parseLsn,
  parseOffset,
  serializeOffset,
} from './postgres-offset.js';

export interface PostgresCaptureOptions extends PostgresConnectorOptions {
  /**
   * Where changes go; commit() must resolve only once they are durable (see
   * ChangeSink), and commits must resolve in call order (the stream does not
   * wait for one before the next transaction). A commit() without appended
   * changes carries only a position (an idle keepalive's): store it like any
   * other. abort() lets capture go on after a connection lost inside a
   * transaction, or a retriable sink failure (KafkaChangeSink has it).
   */
  sink: ChangeSink;
  /** The position stored for this source, undefined before the first snapshot completed. */
  loadOffset(): Promise<SourcePosition | undefined>;
  /** Default: pino at level info. Records carry source, table, position, action. */
  logger?: Logger;
  /** Aborting stops capture: the promise then resolves once no sink call is in flight. */
  signal?: AbortSignal;
  /** Reconnect backoff (ms). Defaults 500 → 30 000. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Rows per snapshot chunk (one Kafka commit with the progress). Default 10,000. */
  snapshotChunkRows?: number;
  /** Told when the replication stream is connected (true) and when it was lost (false): readiness. */
  onStreaming?: (streaming: boolean) => void;
}

/**
 * Captures the configured tables until `signal` aborts (resolves) or a
 * failure that retrying will not fix (rejects with a RowkubeError whose code
 * names it, or the sink's own error): runCapture with the PostgreSQL
 * connector.
 *
 * Without a stored position: preflight, publication, then a snapshot that
 * creates the slot (an existing slot is dropped first: without a stored
 * position nothing depends on it), then the stream from the snapshot's
 * consistent point. With one: preflight (the slot must still hold it), then
 * the stream from it.
 */
export async function runPostgresCapture(options: PostgresCaptureOptions): Promise<void> {
  const { sink, loadOffset, logger, onStreaming } = options;
  return runCapture(
    postgresConnector(options),
    { sink, loadOffset },
    {
      signal: options.signal ?? new AbortController().signal,
      logger,
      backoff: options.reconnect && {
        initialMs: options.reconnect.initialDelayMs,
        maxMs: options.reconnect.maxDelayMs,
      },
      onReadiness: onStreaming && ((ready) => onStreaming(ready)),
      snapshotChunkRows: options.snapshotChunkRows,
    },
  );
}
