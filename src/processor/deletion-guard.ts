import type { DeletionGuardConfig, HubDeletionGuardConfig } from '../core/config/deletion-guard-schema.js';

// The mass-deletion guard's decision, as plain functions over plain data. A
// mistaken `DELETE FROM tenants` or TRUNCATE would otherwise tombstone every
// node of the hub within a second, and the sink would delete every tenant's
// stack. The processor groups the removals of a batch by source transaction
// and hub; a group over the limits is held (its nodes keep their desired
// records) until `rowkube release HUB`, or until the rows come back.

/** The limits in force for one hub: the global ones with the hub's overrides. */
export interface GuardLimits {
  enabled: boolean;
  /** Hold when the removals are more than this share (0–1) of the hub's live nodes… */
  share: number;
  /** …and more than this many nodes. */
  count: number;
}

export function limitsFor(global: DeletionGuardConfig, hub?: HubDeletionGuardConfig): GuardLimits {
  return {
    enabled: hub?.enabled ?? global.enabled,
    share: hub?.share ?? global.share,
    count: hub?.count ?? global.count,
  };
}

/** A node that would go from a live desired record to a tombstone. */
export interface Removal {
  /** Node id, `<form>/<uid>`. */
  id: string;
  hub: string;
  /** The source transaction that removes it (txId, or the position when the source gives no id). */
  tx: string;
}

/** The removals of one hub by one source transaction, with the figures the decision used. */
export interface RemovalGroup {
  hub: string;
  tx: string;
  ids: string[];
  /** The hub's live nodes before the transaction (the removed ones included). */
  live: number;
  /** ids.length / live; 1 when the hub had no live node counted. */
  share: number;
}

export interface GuardDecision {
  /** Groups over the limits, or of a transaction already held: their nodes stay. */
  held: RemovalGroup[];
  /** Removals that go through now. */
  passed: Removal[];
}

/**
 * Splits removals into held and passed. `liveBefore(hub)` is the number of
 * the hub's live nodes before these removals; `alreadyHeld(hub, tx)` is true
 * when an earlier batch held part of the same transaction, so the rest of it
 * is held too whatever its size (a transaction may arrive in several batches).
 */
export function decideRemovals(
  removals: readonly Removal[],
  liveBefore: (hub: string) => number,
  limitsOf: (hub: string) => GuardLimits,
  alreadyHeld: (hub: string, tx: string) => boolean = () => false,
): GuardDecision {
  const groups = new Map<string, Removal[]>();
  for (const removal of removals) {
    const key = `${removal.hub}\u0000${removal.tx}`;
    const group = groups.get(key) ?? [];
    group.push(removal);
    groups.set(key, group);
  }
  const decision: GuardDecision = { held: [], passed: [] };
  for (const group of groups.values()) {
    const [{ hub, tx }] = group as [Removal];
    const live = Math.max(liveBefore(hub), group.length);
    const share = live === 0 ? 1 : group.length / live;
    if (alreadyHeld(hub, tx) || exceedsLimits(group.length, share, limitsOf(hub)))
      decision.held.push({ hub, tx, ids: group.map((r) => r.id), live, share });
    else decision.passed.push(...group);
  }
  return decision;
}

/** More than the share AND more than the count: a small hub losing its few nodes is not a mass deletion. */
export function exceedsLimits(removed: number, share: number, limits: GuardLimits): boolean {
  return limits.enabled && removed > limits.count && share > limits.share;
}

/** "100 of 100 nodes (100 %)", for logs, audit reasons and readiness. */
export function describeGroup(group: Pick<RemovalGroup, 'ids' | 'live' | 'share'>): string {
  return `${group.ids.length} of ${group.live} nodes (${Math.round(group.share * 1000) / 10} %)`;
}
