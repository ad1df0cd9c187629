import type { Writable } from 'node:stream';
import { requestIncrementalSnapshot } from '../../app/incremental-snapshot-request.js';
import { requestSourceSnapshot } from '../../app/snapshot-source.js';
import { checkKafkaAccess } from '../../kafka/index.js';
import { loadConfig } from '../load-config.js';
import type { CliRequest } from '../parse-args.js';
import { shutdownSignal } from '../shutdown-signal.js';

export type SnapshotRequest = Extract<CliRequest, { kind: 'snapshot' }>;

/**
 * `rowkube snapshot`, two ways:
 * - `--table T [--source S] [--wait]`: inserts an execute-snapshot row into the
 *   signal table of the source capturing T; the running capture snapshots T
 *   in chunks while it streams (src/app/incremental-snapshot-request.ts).
 *   Exits 0 once the row is in (with --wait: once capture stored the snapshot
 *   as finished), 1 if the wait was interrupted.
 * - `--source S`: the next capture start of S takes a new snapshot of the
 *   whole source; rows gone since become deletions (src/app/snapshot-source.ts).
 *   A capture of S still running is fenced off (it stops); start it again.
 */
export async function snapshotCommand(
  request: SnapshotRequest,
  out: Writable = process.stdout,
): Promise<number> {
  const config = loadConfig(request.config);
  await checkKafkaAccess(config.kafka);
  if (request.table === undefined) return wholeSource(config, request.source as string, out);
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

async function wholeSource(
  config: ReturnType<typeof loadConfig>,
  name: string,
  out: Writable,
): Promise<number> {
  const { source, previous } = await requestSourceSnapshot(config, name);
  const was =
    previous === undefined
      ? 'no position was stored'
      : `replacing the stored position ${JSON.stringify(previous)}`;
  out.write(
    `source ${source}: the next capture start takes a new snapshot (${was}); rows no longer in the ` +
      `database become deletions. A capture of ${source} still running was fenced off: start capture again.\n`,
  );
  return 0;
}
