import { describe, expect, it } from 'vitest';
import {
  countPhases,
  decideRollout,
  failureKey,
  phaseOf,
  type RolloutInput,
  type RolloutNode,
} from '../../src/processor/rollout/rollout-admission.js';

const V1 = 'v1';
const V2 = 'v2';

function node(
  i: number,
  version: string | null,
  state?: 'Ready' | 'Failed' | 'Progressing' | 'Conflict',
): RolloutNode {
  const id = `web/t${String(i).padStart(3, '0')}`;
  const hash = `${version}-${i}`;
  return { id, version, hash, ...(state === undefined ? {} : { status: { contentHash: hash, state } }) };
}

function input(nodes: RolloutNode[], overrides: Partial<RolloutInput> = {}): RolloutInput {
  return {
    state: 'rolling',
    failures: 0,
    to: V2,
    maxInProgress: 10,
    failureThreshold: 2,
    nodes,
    counted: new Set(),
    ...overrides,
  };
}

describe('processor > rollout admission > phases', () => {
  it('counts a node by its record version and what the sink reported for that record', () => {
    expect(phaseOf(node(1, V1, 'Ready'), V2)).toBe('pending');
    expect(phaseOf(node(1, null), V2)).toBe('pending');
    expect(phaseOf(node(1, V2), V2)).toBe('inProgress');
    expect(phaseOf(node(1, V2, 'Progressing'), V2)).toBe('inProgress');
    expect(phaseOf(node(1, V2, 'Ready'), V2)).toBe('ready');
    expect(phaseOf(node(1, V2, 'Failed'), V2)).toBe('failed');
    expect(phaseOf(node(1, V2, 'Conflict'), V2)).toBe('failed');
  });

  it('takes a Ready report about an older record as in progress', () => {
    const stale: RolloutNode = { ...node(1, V2), status: { contentHash: 'older', state: 'Ready' } };
    expect(phaseOf(stale, V2)).toBe('inProgress');
  });

  it('counts every phase', () => {
    const nodes = [node(1, V1), node(2, V2), node(3, V2, 'Ready'), node(4, V2, 'Failed')];
    expect(countPhases(nodes, V2)).toEqual({ pending: 1, inProgress: 1, ready: 1, failed: 1 });
  });
});

describe('processor > rollout admission > decide', () => {
  const pending = (n: number) => Array.from({ length: n }, (_, i) => node(i + 1, V1, 'Ready'));

  it('admits up to maxInProgress pending nodes, in id order', () => {
    const decision = decideRollout(input(pending(30)));
    expect(decision.admit).toHaveLength(10);
    expect(decision.admit[0]).toBe('web/t001');
    expect(decision.state).toBe('rolling');
  });

  it('admits only into the slots that nodes in progress leave', () => {
    const nodes = [...pending(20), node(21, V2), node(22, V2, 'Progressing'), node(23, V2, 'Ready')];
    expect(decideRollout(input(nodes)).admit).toHaveLength(8);
    const full = [...pending(5), ...Array.from({ length: 10 }, (_, i) => node(30 + i, V2))];
    expect(decideRollout(input(full)).admit).toEqual([]);
  });

  it('frees the slot of a failed node, and counts each failure once', () => {
    const nodes = [...pending(20), node(21, V2, 'Failed')];
    const first = decideRollout(input(nodes, { failureThreshold: 5 }));
    expect(first.failures).toBe(1);
    expect(first.newlyFailed).toEqual([failureKey(nodes[20] as RolloutNode)]);
    expect(first.admit).toHaveLength(10);
    const again = decideRollout(
      input(nodes, { failureThreshold: 5, failures: 1, counted: new Set(first.newlyFailed) }),
    );
    expect(again.failures).toBe(1);
    expect(again.newlyFailed).toEqual([]);
  });

  it('pauses when failures reach failureThreshold, and admits nothing more', () => {
    const nodes = [...pending(20), node(21, V2, 'Failed'), node(22, V2, 'Failed')];
    const decision = decideRollout(input(nodes));
    expect(decision.state).toBe('paused');
    expect(decision.failures).toBe(2);
    expect(decision.reason).toMatch(/2 node\(s\) failed on version v2 \(failureThreshold 2\)/);
    expect(decision.admit).toEqual([]);
  });

  it('admits nothing while paused, yet counts failures', () => {
    const nodes = [...pending(5), node(6, V2, 'Failed')];
    const decision = decideRollout(input(nodes, { state: 'paused', failureThreshold: 1 }));
    expect(decision.state).toBe('paused');
    expect(decision.failures).toBe(1);
    expect(decision.admit).toEqual([]);
  });

  it('resumes with the failure count restarted: the old failures do not pause it again', () => {
    const failed = node(6, V2, 'Failed');
    const decision = decideRollout(
      input([...pending(5), failed], { failureThreshold: 1, counted: new Set([failureKey(failed)]) }),
    );
    expect(decision.state).toBe('rolling');
    expect(decision.admit).toHaveLength(5);
  });

  it('completes when every node is on the new version and Ready', () => {
    const nodes = Array.from({ length: 5 }, (_, i) => node(i + 1, V2, 'Ready'));
    const decision = decideRollout(input(nodes));
    expect(decision.state).toBe('complete');
    expect(decision.reason).toMatch(/every node \(5\) is on version v2/);
    expect(decideRollout(input([...nodes, node(9, V2, 'Failed')], { failureThreshold: 5 })).state).toBe(
      'rolling',
    );
  });

  it('does nothing for an aborted or complete rollout', () => {
    for (const state of ['aborted', 'complete'] as const) {
      const decision = decideRollout(input([...pending(5), node(9, V2, 'Failed')], { state }));
      expect(decision).toMatchObject({ state, failures: 0, admit: [], newlyFailed: [] });
    }
  });
});
