import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Replica } from '../../support/replica-set.js';
import { waitFor } from '../../support/wait-for.js';
import { HEAP_HOLDERS } from './heap-report.js';
import { type HeapSummary, summarizeHeapSnapshot } from './heap-snapshot.js';

// BENCH_HEAP_SNAPSHOT=<dir>: the bench's `rowkube run` child starts with
// node's --heapsnapshot-signal, and the bench asks it for a heap snapshot at
// the points it measures (SIGUSR2); the process writes it into <dir> itself,
// stopped while it does (seconds; memory grows meanwhile, so a peak RSS is
// read before). The summary (bench/support/heap-snapshot.ts) goes into the
// bench's JSON; the file stays for DevTools.

const SIGNAL = 'SIGUSR2';

/** Variables for the child that make it write a snapshot into `dir` on SIGUSR2. */
export function heapSnapshotEnv(dir: string): NodeJS.ProcessEnv {
  mkdirSync(dir, { recursive: true });
  return { NODE_OPTIONS: `--heapsnapshot-signal=${SIGNAL} --diagnostic-dir=${resolve(dir)}` };
}

/**
 * Has the replica write a heap snapshot into `dir`; resolves with its summary
 * once the file is there and the process answers again (the writing is done).
 */
export async function captureHeap(replica: Replica, dir: string, timeoutMs = 600_000): Promise<HeapSummary> {
  const pid = replica.process.pid as number;
  const before = new Set(readdirSync(dir));
  process.kill(pid, SIGNAL);
  const file = await waitFor(
    `a heap snapshot of process ${pid} in ${dir}`,
    async () => {
      const written = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
      if (written === undefined) return undefined;
      return (await replica.readyz()) === undefined ? undefined : join(dir, written);
    },
    { timeoutMs, intervalMs: 500 },
  );
  return summarizeHeapSnapshot(file, HEAP_HOLDERS);
}
