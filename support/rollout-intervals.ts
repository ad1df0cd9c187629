import type { NodeStatus } from '../src/contracts/index.js';
import type { TailRecord } from '../src/kafka/index.js';

// How many nodes were in progress at once during a form's rollout, worked out
// afterwards from the topics: a node is in progress on a version from its
// first desired record of that version (the Kafka timestamp the processor's
// producer set) until the sink reported that record Ready (stateSinceMs of
// its status, the sink's clock; both clocks are this machine's). Reading the
// two topics live would race one reader against the other; the records'
// own times do not.

export interface InProgressInterval {
  id: string;
  fromMs: number;
  /** When the sink reported it Ready; Infinity when it has not. */
  toMs: number;
}

/** Each node's interval on `version` (desired records oldest first; statuses as the status topic holds them now). */
export function inProgressIntervals(
  desired: readonly TailRecord[],
  statuses: readonly NodeStatus[],
  version: string,
): InProgressInterval[] {
  const first = new Map<string, number>();
  for (const record of desired) {
    const value = record.value as { id?: string; formVersion?: string | null } | null;
    if (value?.id === undefined || value.formVersion !== version || first.has(value.id)) continue;
    first.set(value.id, Date.parse(record.timestamp));
  }
  const readyAt = new Map<string, number>();
  for (const status of statuses)
    if (status.formVersion === version && status.state === 'Ready')
      readyAt.set(status.nodeId, Number(status.stateSinceMs));
  return [...first].map(([id, fromMs]) => ({
    id,
    fromMs,
    toMs: readyAt.get(id) ?? Number.POSITIVE_INFINITY,
  }));
}

/** The largest number of intervals open at one instant; one that ends when another starts does not overlap it. */
export function maxOverlap(intervals: readonly InProgressInterval[]): number {
  const edges: [number, number][] = [];
  for (const interval of intervals) edges.push([interval.fromMs, 1], [interval.toMs, -1]);
  // Ends before starts at the same instant.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, delta] of edges) {
    open += delta;
    max = Math.max(max, open);
  }
  return max;
}
