import type { SourcePosition } from '../core/change-event.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { createKafka, requestSnapshot } from '../kafka/index.js';

// A whole-source re-snapshot, as `rowkube snapshot --source S` asks for it:
// the source's offset record is marked (src/kafka/snapshot-request.ts), and
// the next capture start takes a new snapshot from the database's current
// state. That snapshot replaces what the change topics hold: a row they hold
// that it does not read again becomes a deletion (op 'd' and a tombstone,
// with the last captured row as `before`). It is the way out of a purged
// binlog position or a lost replication slot (ROWKUBE_ERR_POSITION_PURGED).

export interface SourceSnapshotRequest {
  source: string;
  /** What the offset record held before: a stream position, a snapshot in progress, or nothing. */
  previous: SourcePosition | undefined;
}

/**
 * Marks `source` for a new snapshot. Throws a CONFIG RowkubeError for a
 * source the configuration does not have, a KAFKA one when the broker fails.
 */
export async function requestSourceSnapshot(
  config: RowkubeConfig,
  source: string,
): Promise<SourceSnapshotRequest> {
  const configured = config.sources.find((s) => s.name === source);
  if (configured === undefined) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `no source '${source}' in the configuration (sources: ${config.sources.map((s) => s.name).join(', ')})`,
    );
  }
  const kafka = createKafka({ ...config.kafka });
  const previous = await requestSnapshot({
    kafka,
    prefix: config.kafka.topicPrefix,
    source,
    replicationFactor: config.kafka.replicationFactor,
  });
  return { source, previous };
}
