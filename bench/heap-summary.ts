// `node --import tsx bench/heap-summary.ts FILE.heapsnapshot [Class …]`: where
// the memory of a process went, from a heap snapshot it wrote (bench:scale
// with BENCH_HEAP_SNAPSHOT writes them): the retained size of rowkube's
// holders and what the heap is made of (bench/support/heap-snapshot.ts).

import { HEAP_HOLDERS, printHeapSummary } from './support/heap-report.js';
import { summarizeHeapSnapshot } from './support/heap-snapshot.js';

const [file, ...classes] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: heap-summary FILE.heapsnapshot [Class …]\n');
  process.exit(2);
}
const summary = summarizeHeapSnapshot(file, classes.length > 0 ? classes : HEAP_HOLDERS);
printHeapSummary(summary, (line) => process.stdout.write(`${line}\n`));
