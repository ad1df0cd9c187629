import type { NodeState, RolloutState } from '../../contracts/index.js';

// The decision of a progressive rollout (docs/rollout.md), as a pure function
// over plain data: where each node of the form stands, how many may change
// now, and whether the rollout pauses or is complete. The processor
// (form-rollouts.ts) feeds it what the desired topic holds and what the sink
// reports on `<prefix>.status`, and carries its answer out.

/**
 * Where a node stands in a rollout to version `to`:
 *   pending     its record is on another version: not admitted yet;
 *   inProgress  on `to`, and the sink has not reported that record Ready (or failed) yet;
 *   ready       on `to`, and the sink reports the record's content Ready;
 *   failed      on `to`, and the sink reports it Failed, Conflict or Skipped.
 */
export type NodePhase = 'pending' | 'inProgress' | 'ready' | 'failed';

export const NODE_PHASES: readonly NodePhase[] = ['pending', 'inProgress', 'ready', 'failed'];

/** One live node of the form, as the processor knows it. */
export interface RolloutNode {
  id: string;
  /** The form version of its last desired record; null for records without one. */
  version: string | null;
  /** The contentHash of its last desired record. */
  hash: string;
  /** What the sink last reported for it; undefined when nothing yet. */
  status?: { contentHash: string; state: NodeState; error?: string };
}

export type PhaseCounts = Record<NodePhase, number>;

const FAILED_STATES: ReadonlySet<NodeState> = new Set(['Failed', 'Conflict', 'Skipped']);

export function phaseOf(node: RolloutNode, to: string): NodePhase {
  if (node.version !== to) return 'pending';
  const status = node.status;
  // A report about an older record says nothing about this one.
  if (status === undefined || status.contentHash !== node.hash) return 'inProgress';
  if (status.state === 'Ready') return 'ready';
  if (FAILED_STATES.has(status.state)) return 'failed';
  return 'inProgress';
}

export function countPhases(nodes: readonly RolloutNode[], to: string): PhaseCounts {
  const counts: PhaseCounts = { pending: 0, inProgress: 0, ready: 0, failed: 0 };
  for (const node of nodes) counts[phaseOf(node, to)] += 1;
  return counts;
}

/** The key a failure is counted under: a node fails once per record, however often the sink reports it. */
export function failureKey(node: RolloutNode): string {
  return `${node.id}@${node.hash}`;
}

export interface RolloutInput {
  state: RolloutState;
  failures: number;
  /** The version rolled out. */
  to: string;
  maxInProgress: number;
  failureThreshold: number;
  /** Every live node of the form the processor renders. */
  nodes: readonly RolloutNode[];
  /** Failures already counted (failureKey): a resumed rollout does not count them again. */
  counted: ReadonlySet<string>;
}

export interface RolloutDecision {
  state: RolloutState;
  failures: number;
  /** Set when the state changed: why, for people. */
  reason?: string;
  /** Pending nodes to change now, in id order. */
  admit: string[];
  /** Failures counted by this step (failureKey). */
  newlyFailed: string[];
  counts: PhaseCounts;
}

/**
 * One step: counts the nodes by phase, counts new failures, pauses when they
 * reach the threshold, completes when every node is on `to` and Ready, and
 * otherwise admits pending nodes up to maxInProgress in progress at once.
 * Only a rolling rollout admits; aborted and complete ones do nothing.
 */
export function decideRollout(input: RolloutInput): RolloutDecision {
  const counts = countPhases(input.nodes, input.to);
  const decision: RolloutDecision = {
    state: input.state,
    failures: input.failures,
    admit: [],
    newlyFailed: [],
    counts,
  };
  if (input.state !== 'rolling' && input.state !== 'paused') return decision;
  const failedNow: RolloutNode[] = [];
  for (const node of input.nodes) {
    if (phaseOf(node, input.to) !== 'failed' || input.counted.has(failureKey(node))) continue;
    failedNow.push(node);
    decision.newlyFailed.push(failureKey(node));
  }
  decision.failures += failedNow.length;
  if (counts.pending === 0 && counts.inProgress === 0 && counts.failed === 0) {
    decision.state = 'complete';
    decision.reason = `every node (${counts.ready}) is on version ${input.to} and Ready`;
    return decision;
  }
  if (input.state === 'rolling' && decision.failures >= input.failureThreshold) {
    decision.state = 'paused';
    const named = failedNow
      .slice(0, 3)
      .map((node) => (node.status?.error ? `${node.id}: ${node.status.error}` : node.id))
      .join('; ');
    decision.reason =
      `${decision.failures} node(s) failed on version ${input.to} (failureThreshold ${input.failureThreshold})` +
      `${named === '' ? '' : `: ${named}`}; 'rowkube rollout resume' or 'rowkube rollout abort'`;
    return decision;
  }
  if (input.state !== 'rolling') return decision;
  const slots = input.maxInProgress - counts.inProgress;
  if (slots <= 0) return decision;
  decision.admit = input.nodes
    .filter((node) => phaseOf(node, input.to) === 'pending')
    .map((node) => node.id)
    .sort()
    .slice(0, slots);
  return decision;
}
