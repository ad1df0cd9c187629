import type { Writable } from 'node:stream';
import { requestIncrementalSnapshot } from '../../app/incremental-snapshot-request.js';
import { loadConfig } from '../load-config.js';
import { shutdownSignal } from '../shutdown-signal.js';

export interface SnapshotRequest {
  config: string;
  /** An incremental re-snapshot of this table while streaming goes on. */
  table?: string;
  source?: string;
  wait: boolean;
}

/**
 * `rowkube snapshot --table T [--source S] [--wait] --config F`: inserts an
 * execute-snapshot row into the signal table of the source capturing T; the
 * running capture snapshots T in chunks while it streams
 * (src/app/incremental-snapshot-request.ts). Exits 0 once the row is in (with
 * --wait: once capture stored the snapshot as finished), 1 if the wait was
 * interrupted.
 */
export async function snapshotCommand(
  request: SnapshotRequest,
  out: Writable = process.stdout,
): Promise<number> {
  const config = loadConfig(request.config);
  if (request.table === undefined) throw new Error("'snapshot' needs --table T");
  const signal = request.wait ? shutdownSignal() : undefined;
  const result = await requestIncrementalSnapshot(config, {
    table: request.table,
    source: request.source,
    wait: request.wait,
    signal,
  });
  out.write(
    `incremental snapshot of ${request.table} requested from source ${result.source} (signal ${result.signal})\n`,
  );
  if (!request.wait) return 0;
  out.write(result.finished ? 'incremental snapshot finished\n' : 'stopped waiting; the snapshot goes on\n');
  return result.finished ? 0 : 1;
}
