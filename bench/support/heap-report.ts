import type { HeapSummary } from './heap-snapshot.js';

// The classes whose instances hold what `rowkube run` keeps per node, and how
// a heap summary of them is printed (bench:scale, bench/heap-summary.ts).

export const HEAP_HOLDERS = [
  // sink
  'OwnedCache',
  'ObjectStore',
  'Inventory',
  'ResourceManager',
  'DesiredShare',
  'LatestByKey',
  'OffsetTracker',
  // processor
  'MaterializedState',
  'Materializer',
  'DeletionHold',
  'HubShare',
];

const MiB = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** One line per holder of at least 1 % of the live heap (and its bytes per node), then the largest constructors. */
export function printHeapSummary(summary: HeapSummary, say: (line: string) => void, nodes?: number): void {
  const perNode = (bytes: number) => (nodes === undefined ? '' : `  ${Math.round(bytes / nodes)} B/node`);
  say(`live heap ${MiB(summary.liveBytes)} MiB in ${summary.nodes} objects${perNode(summary.liveBytes)}`);
  for (const { holder, retainedBytes } of summary.holders)
    if (retainedBytes >= summary.liveBytes / 100)
      say(`  ${MiB(retainedBytes).padStart(8)} MiB  ${holder}${perNode(retainedBytes)}`);
  say('largest constructors (self size):');
  for (const { name, selfBytes, count } of summary.byConstructor.slice(0, 15))
    say(`  ${MiB(selfBytes).padStart(8)} MiB  ${name} ×${count}`);
}
