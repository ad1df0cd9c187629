import type { AuditEvent } from '../../contracts/index.js';

// A tenant moving to another cluster (its cluster column changed) is created
// on the new cluster first, and removed from the old one only once the new
// copy stands: every object applied and, where the form asks waitForReady,
// ready. Until then the old copy stays and the node is retried, so the
// tenant is never absent from both clusters. Pure: the decisions only.

/** Actions that say an object of the new copy is not in place (or not ready) yet. */
const NOT_IN_PLACE: ReadonlySet<string> = new Set(['failed', 'timed_out', 'skipped', 'conflict', 'refused']);

/**
 * Why the old copy must stay after the apply on the new cluster produced
 * these events, or undefined when it may go now.
 */
export function moveBlocker(
  target: string,
  events: readonly Pick<AuditEvent, 'action' | 'resourceId'>[],
): string | undefined {
  const missing = events.filter((event) => NOT_IN_PLACE.has(event.action));
  if (missing.length === 0) return undefined;
  const what = missing.map((event) => `${event.resourceId ?? 'node'} ${event.action}`).join(', ');
  return `not every object stands on cluster '${target}' yet (${what}): the node stays where it was until it does`;
}

/**
 * The clusters to remove a node from after it was applied to `target`:
 * every other cluster holding objects of it, once nothing blocks the move.
 */
export function clustersToLeave(
  target: string,
  holding: readonly string[],
  blocker: string | undefined,
): string[] {
  if (blocker !== undefined) return [];
  return holding.filter((name) => name !== target);
}

/**
 * Whether a node found at start sits somewhere it no longer belongs: on a
 * cluster other than its desired one (a move a crash interrupted). Such a
 * node is applied again, which finishes the move in order.
 */
export function misplaced(desired: string, holding: readonly string[]): boolean {
  return holding.some((name) => name !== desired);
}
