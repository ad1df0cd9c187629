import { describe, expect, it } from 'vitest';
import { clustersToLeave, misplaced, moveBlocker } from '../../src/sink/clusters/move-order.js';
import { clusterOfNode } from '../../src/sink/clusters/node-cluster.js';

// A tenant moving between clusters: created on the new one first, removed
// from the old one only once every object stands there (ready where asked).
describe('sink > clusters > moving a node', () => {
  const inPlace = [
    { action: 'created' as const, resourceId: 'ns' },
    { action: 'configured' as const, resourceId: 'app' },
    { action: 'unchanged' as const, resourceId: 'svc' },
  ];

  it('lets the old copy go once every object of the new one is in place', () => {
    expect(moveBlocker('eu-2', inPlace)).toBeUndefined();
    expect(clustersToLeave('eu-2', ['eu-2', 'eu-1'], undefined)).toEqual(['eu-1']);
  });

  it.each(['failed', 'timed_out', 'skipped', 'conflict', 'refused'] as const)(
    'keeps the old copy while an object of the new one is %s, saying which',
    (action) => {
      const blocker = moveBlocker('eu-2', [...inPlace, { action, resourceId: 'app' }]);
      expect(blocker).toContain(`app ${action}`);
      expect(blocker).toContain("cluster 'eu-2'");
      expect(clustersToLeave('eu-2', ['eu-2', 'eu-1'], blocker)).toEqual([]);
    },
  );

  it('leaves every other cluster holding the node, never the target', () => {
    expect(clustersToLeave('b', ['a', 'b', 'c'], undefined)).toEqual(['a', 'c']);
    expect(clustersToLeave('b', ['b'], undefined)).toEqual([]);
  });

  it('finds a node left on another cluster by a move a crash interrupted', () => {
    expect(misplaced('eu-2', ['eu-1', 'eu-2'])).toBe(true);
    expect(misplaced('eu-2', ['eu-1'])).toBe(true);
    expect(misplaced('eu-2', ['eu-2'])).toBe(false);
    expect(misplaced('eu-2', [])).toBe(false);
  });

  it("takes the record's cluster, and `default` for a record without one", () => {
    expect(clusterOfNode({ cluster: 'eu-2' })).toBe('eu-2');
    expect(clusterOfNode({ cluster: null })).toBe('default');
    expect(clusterOfNode({})).toBe('default');
  });
});
