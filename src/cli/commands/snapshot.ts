import type { Writable } from 'node:stream';
import { requestSourceSnapshot } from '../../app/snapshot-source.js';
import { loadConfig } from '../load-config.js';
import type { CliRequest } from '../parse-args.js';

export type SnapshotRequest = Extract<CliRequest, { kind: 'snapshot' }>;

/**
 * `rowkube snapshot --config F --source S`: the next capture start of S takes
 * a new snapshot of the whole source; rows gone since become deletions. A
 * capture of S still running is fenced off (it stops); start it again.
 */
export async function snapshotCommand(request: SnapshotRequest, out: Writable): Promise<number> {
  const config = loadConfig(request.config);
  const { source, previous } = await requestSourceSnapshot(config, request.source);
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
