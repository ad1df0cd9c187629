import { describe, expect, it } from 'vitest';
import type { AuditAction, AuditEvent } from '../../src/contracts/index.js';
import {
  formatReplaySummary,
  historyWarning,
  type ReplayReport,
  ReplayTally,
} from '../../src/replay/index.js';

function event(action: AuditAction, resourceId = 'app', errorCode: string | null = null): AuditEvent {
  return {
    nodeId: 'web/acme',
    hub: 'tenants',
    form: 'web',
    resourceId,
    object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tenant-acme', name: 'web' },
    action,
    reason: `because ${action}`,
    errorCode,
    provenance: { source: 'appdb', table: 'tenants', position: null, commitTsMs: null },
    appliedAtMs: 0n,
    latencyMs: null,
    fieldManager: 'rowkube',
  };
}

describe('Replay > ReplayTally', () => {
  it('counts nodes, objects and actions, and names the first failure of a failed node', () => {
    const tally = new ReplayTally(3);
    tally.nodeDone('web/a', [event('created', 'ns'), event('created'), event('unchanged', 'svc')]);
    tally.nodeDone('web/b', [
      event('created', 'ns'),
      event('timed_out', 'app', 'ROWKUBE_ERR_READY_TIMEOUT'),
      event('skipped', 'svc'),
    ]);
    expect(tally.nodesDone).toBe(2);
    expect(tally.succeeded).toBe(1);
    expect(tally.objects).toBe(4);
    expect(tally.actionCounts()).toEqual([
      ['created', 3],
      ['unchanged', 1],
      ['skipped', 1],
      ['timed_out', 1],
    ]);
    expect(tally.failures).toEqual([
      {
        nodeId: 'web/b',
        reason: 'Deployment/tenant-acme/web: timed_out (ROWKUBE_ERR_READY_TIMEOUT) because timed_out',
      },
    ]);
    expect(tally.progressLine(2_500)).toBe('replay: 2/3 nodes, 4 objects, 1 failed, 2.5 s');
  });

  it('counts a node stopped half-way as failed although its events show no failure', () => {
    const tally = new ReplayTally(1);
    tally.nodeDone('web/a', [event('created')], 'stopped before the node was complete');
    expect(tally.succeeded).toBe(0);
    expect(tally.failures).toEqual([{ nodeId: 'web/a', reason: 'stopped before the node was complete' }]);
  });
});

describe('Replay > formatReplaySummary', () => {
  const report: ReplayReport = {
    topic: 'rk.desired',
    atMs: 1_718_000_000_000,
    selection: {
      live: 2,
      unrendered: ['web/x'],
      deleted: ['web/d'],
      later: ['web/n'],
      records: 9,
      laterRecords: 3,
    },
    removed: [],
    succeeded: 1,
    failures: [{ nodeId: 'web/b', reason: 'Deployment/ns/web: conflict' }],
    actions: [
      ['created', 6],
      ['conflict', 1],
    ],
    objects: 6,
    objectsBefore: 0,
    stopped: false,
    durationMs: 1_234,
  };

  it('says which state was rebuilt, what was done and which nodes failed', () => {
    expect(formatReplaySummary(report, 'replay.kubeconfig')).toBe(
      [
        'replay of rk.desired into replay.kubeconfig: the state as of 2024-06-10T06:13:20.000Z (1718000000000)',
        '  records read: 9 (3 after that time, ignored)',
        '  nodes: 2 live, 1 deleted, 1 not yet created, 1 not rendered (left out)',
        '  audit actions: created 6, conflict 1',
        '  result: 1 nodes done, 1 failed (1.2 s)',
        '  failed web/b: Deployment/ns/web: conflict',
        '  not rendered web/x: its last record is a rendering error',
        '',
      ].join('\n'),
    );
  });
});

describe('Replay > historyWarning', () => {
  const day = 86_400_000;
  it('warns when --at is older than the compaction window', () => {
    expect(historyWarning(10 * day - day - 1, 10 * day, day)).toMatch(
      /older than the desired topic's compaction window/,
    );
  });
  it('is quiet inside the window, and for a topic that is not compacted', () => {
    expect(historyWarning(10 * day - day, 10 * day, day)).toBeUndefined();
    expect(historyWarning(0, 10 * day, undefined)).toBeUndefined();
  });
});
