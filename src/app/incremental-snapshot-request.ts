import { randomUUID } from 'node:crypto';
import { decodeProgress } from '../../connectors/incremental-snapshot.js';
import { PROGRESS_FIELD } from '../../connectors/incremental-snapshot-connector.js';
import { capturesTable, sendSignal } from '../../connectors/signal-sender.js';
import { executeSnapshotRow } from '../../connectors/signal-table.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import type { RowkubeConfig, SourceConfig } from '../core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { createKafka, readLastPosition } from '../kafka/index.js';

// `rowkube snapshot --table T`: asks the running capture of the source that
// captures T for an incremental snapshot of it, by inserting an
// execute-snapshot row into that source's signal table, and optionally waits
// until capture stored the snapshot as finished with its position.

export interface IncrementalSnapshotRequest {
  table: string;
  /** The source that captures the table; required only when several do. */
  source?: string | undefined;
  /** Wait until capture finished the snapshot. */
  wait?: boolean | undefined;
  /** How often the stored position is read while waiting. Default 500 ms. */
  pollMs?: number | undefined;
  /** Stops waiting (the request stays: capture carries it out all the same). */
  signal?: AbortSignal | undefined;
}

export interface IncrementalSnapshotRequested {
  source: string;
  /** The id of the signal row: capture's logs and stored progress name it. */
  signal: string;
  /** With wait: true once capture finished, false when the wait was stopped. */
  finished?: boolean;
}

/** The source a table's request goes to; throws a CONFIG error naming the choices otherwise. */
export function sourceForTable(config: RowkubeConfig, table: string, source?: string): SourceConfig {
  if (source !== undefined) {
    const named = config.sources.find((s) => s.name === source);
    if (!named) {
      throw new RowkubeError(
        ErrorCode.CONFIG,
        `no source named ${source} in the configuration (sources: ${config.sources.map((s) => s.name).join(', ')})`,
      );
    }
    if (!capturesTable(named, table)) {
      throw new RowkubeError(
        ErrorCode.CONFIG,
        `source ${source} does not capture table ${table} (its tables: ${named.tables.join(', ')})`,
      );
    }
    return named;
  }
  const candidates = config.sources.filter((s) => capturesTable(s, table));
  const [only] = candidates;
  if (candidates.length === 1 && only) return only;
  if (candidates.length === 0) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `no source captures table ${table} (captured: ${config.sources.map((s) => `${s.name}: ${s.tables.join(', ')}`).join('; ')})`,
    );
  }
  throw new RowkubeError(
    ErrorCode.CONFIG,
    `sources ${candidates.map((s) => s.name).join(', ')} all capture table ${table}: name one with --source`,
  );
}

/** Inserts the signal row and, when asked, waits until the source's stored position reports it done. */
export async function requestIncrementalSnapshot(
  config: RowkubeConfig,
  request: IncrementalSnapshotRequest,
): Promise<IncrementalSnapshotRequested> {
  const source = sourceForTable(config, request.table, request.source);
  const id = randomUUID();
  await sendSignal(source, executeSnapshotRow(id, [request.table]));
  if (!request.wait) return { source: source.name, signal: id };
  const finished = await waitUntilDone(config, source.name, id, request);
  return { source: source.name, signal: id, finished };
}

/** Whether the stored position of `source` lists signal `id` as done. */
async function waitUntilDone(
  config: RowkubeConfig,
  source: string,
  id: string,
  request: IncrementalSnapshotRequest,
): Promise<boolean> {
  const kafka = createKafka({ ...config.kafka });
  const signal = request.signal ?? new AbortController().signal;
  while (!signal.aborted) {
    const position = await readLastPosition({ kafka, prefix: config.kafka.topicPrefix, name: source });
    const progress = decodeProgress(position?.[PROGRESS_FIELD], `source ${source}: stored ${PROGRESS_FIELD}`);
    if (progress?.done.includes(id)) return true;
    await abortableSleep(request.pollMs ?? 500, signal);
  }
  return false;
}
