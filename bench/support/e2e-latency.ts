import { percentile, round1, summarize } from '../../support/percentiles.js';

// COMMIT → applied for the steady-rate phase, matched from outside: each
// write is one tenant's update, committed at a time the writer took; its
// applied time is the appliedAtMs of the first `configured` event of that
// tenant's ConfigMap at or after the commit that no earlier write of the
// same tenant claimed. A tenant is updated again only after every other
// tenant was (seconds later at the default rate and size), so an event is
// never the answer to a neighbour's write.

export interface CommittedWrite {
  nodeId: string;
  /** Date.now() by the writer: right after COMMIT returned, or (bench:e2e) before the UPDATE was sent. */
  committedAtMs: number;
  /**
   * Date.now() when the watch showed the write's revision (bench:fairness).
   * With it a write is matched to the apply that carried it, even when a
   * newer write superseded it in flight and no apply of its own exists.
   */
  seenAtMs?: number;
}

/** The watch event may come in before rowkube noted the apply's answer. */
const SEEN_SLACK_MS = 50;

export interface LatencyFigures {
  /** Writes committed. */
  writes: number;
  /** Writes whose applied event was seen. */
  seen: number;
  /** Writes without one: changes lost, or still on their way when the bench stopped waiting. */
  missing: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** appliedAtMs per node, oldest first: E2eAuditLog.updatesOf. */
export type UpdatesOf = (nodeId: string) => readonly number[];

/** Commit → applied of each write that has its event, in ms; the rest are counted as missing. */
export function matchWrites(writes: readonly CommittedWrite[], updatesOf: UpdatesOf): number[] {
  return matchedWrites(writes, updatesOf).map((m) => m.appliedAtMs - m.committedAtMs);
}

/** Each write that has its event, with that event's appliedAtMs. */
export function matchedWrites(
  writes: readonly CommittedWrite[],
  updatesOf: UpdatesOf,
): (CommittedWrite & { appliedAtMs: number })[] {
  const byNode = new Map<string, number[]>();
  for (const { nodeId, committedAtMs } of writes) {
    const commits = byNode.get(nodeId) ?? [];
    commits.push(committedAtMs);
    byNode.set(nodeId, commits);
  }
  const matched: (CommittedWrite & { appliedAtMs: number })[] = [];
  for (const [nodeId, commits] of byNode) {
    const applied = [...updatesOf(nodeId)].sort((a, b) => a - b);
    const seen = writes.filter((w) => w.nodeId === nodeId && w.seenAtMs !== undefined);
    if (seen.length > 0) {
      // The last apply before the watch showed it, and not before the write.
      for (const { committedAtMs, seenAtMs } of seen) {
        const carrier = applied.findLast(
          (at) => at >= committedAtMs && at <= (seenAtMs as number) + SEEN_SLACK_MS,
        );
        if (carrier !== undefined) matched.push({ nodeId, committedAtMs, appliedAtMs: carrier });
      }
      continue;
    }
    let next = 0;
    for (const committedAtMs of commits.sort((a, b) => a - b)) {
      while (next < applied.length && (applied[next] as number) < committedAtMs) next++;
      if (next === applied.length) break;
      matched.push({ nodeId, committedAtMs, appliedAtMs: applied[next] as number });
      next++;
    }
  }
  return matched;
}

export function latencyFigures(writes: number, latencies: readonly number[]): LatencyFigures {
  const { count, p50, p99, max, mean } = summarize(latencies);
  const p95 = round1(
    percentile(
      [...latencies].sort((a, b) => a - b),
      95,
    ),
  );
  return { writes, seen: count, missing: writes - count, p50, p95, p99, max, mean };
}
