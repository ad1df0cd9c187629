import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/parse-args.js';
import type { AuditEvent, DesiredValue } from '../../src/contracts/index.js';
import { formatReplaySummary, ReadyTally, type ReplayReport } from '../../src/replay/index.js';

// `replay --wait`: the flags, what the wait counts from the resource
// manager's change sets (an object without an event is ready), and how the
// summary names the objects that are not.

const resource = (id: string) => ({ id }) as DesiredValue['resources'][number];
const node = (id: string, ...ids: string[]) => ({ id, resources: ids.map(resource) }) as DesiredValue;

function timedOut(resourceId: string | null, name: string): AuditEvent {
  return {
    nodeId: 'web/b',
    hub: 'tenants',
    form: 'web',
    resourceId,
    object: resourceId === null ? null : { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name },
    action: 'timed_out',
    reason: 'not ready after 3 s: 0 of 1 replicas available',
    errorCode: 'ROWKUBE_ERR_READY_TIMEOUT',
    provenance: { source: 'appdb', table: 'tenants', position: null, commitTsMs: null },
    appliedAtMs: 0n,
    latencyMs: null,
    fieldManager: 'rowkube',
  };
}

describe('Replay > --wait > CLI arguments', () => {
  const base = ['replay', '--config', 'f.yaml', '--kubeconfig', 'k'];

  it('waits 300 s by default, or --wait-timeout seconds', () => {
    expect(parseArgs([...base, '--wait'])).toEqual({
      kind: 'replay',
      config: 'f.yaml',
      kubeconfig: 'k',
      waitTimeoutSeconds: 300,
    });
    expect(parseArgs([...base, '--wait', '--wait-timeout', '45'])).toMatchObject({ waitTimeoutSeconds: 45 });
    expect(parseArgs([...base, '--wait', '--wait-timeout', '0'])).toMatchObject({ waitTimeoutSeconds: 0 });
  });

  it('refuses --wait-timeout without --wait, and a timeout that is not a number of seconds', () => {
    expect(parseArgs([...base, '--wait-timeout', '45'])).toEqual({
      kind: 'error',
      message: '--wait-timeout goes with --wait: replay waits for readiness only when asked to',
    });
    for (const bad of ['soon', '-1', ''])
      expect(parseArgs([...base, '--wait', `--wait-timeout=${bad}`])).toEqual({
        kind: 'error',
        message: `--wait-timeout wants a number of seconds (0 looks once), got '${bad}'`,
      });
  });
});

describe('Replay > --wait > ReadyTally', () => {
  it('counts the objects without an event as ready and names the others', () => {
    const tally = new ReadyTally(3);
    tally.nodeDone(node('web/a', 'ns', 'app'), []);
    tally.nodeDone(node('web/b', 'ns', 'app', 'svc'), [timedOut('app', 'web')]);
    expect(tally.readyObjects).toBe(4);
    expect(tally.notReady).toEqual([
      {
        nodeId: 'web/b',
        reason:
          'Deployment/ns/web: timed_out (ROWKUBE_ERR_READY_TIMEOUT) not ready after 3 s: 0 of 1 replicas available',
      },
    ]);
    expect(tally.progressLine(1_500)).toBe('replay --wait: 2/3 nodes, 4 objects ready, 1 not ready, 1.5 s');
  });

  it('counts none of a node as ready when its readiness could not be learnt', () => {
    const tally = new ReadyTally(2);
    tally.nodeDone(node('web/a', 'ns', 'app'), [timedOut('app', 'web')], 'could not be looked at: refused');
    expect(tally.readyObjects).toBe(0);
    expect(tally.notReady.map((n) => n.reason)).toEqual([
      expect.stringMatching(/^Deployment\/ns\/web: timed_out/),
      'ns: could not be looked at: refused',
    ]);
    // An event about the whole node: none of its objects is known to be ready.
    tally.nodeDone(node('web/c', 'ns'), [timedOut(null, '')]);
    expect(tally.readyObjects).toBe(0);
    expect(tally.notReady).toHaveLength(3);
  });
});

describe('Replay > --wait > summary', () => {
  it('adds how many objects are ready and names those that are not', () => {
    const report: ReplayReport = {
      topic: 'rk.desired',
      atMs: undefined,
      selection: { live: 2, unrendered: [], deleted: [], later: [], records: 2, laterRecords: 0 },
      removed: [],
      succeeded: 2,
      failures: [],
      actions: [['created', 5]],
      objects: 5,
      objectsBefore: 0,
      stopped: false,
      wait: {
        timeoutMs: 3_000,
        nodes: 2,
        readyObjects: 4,
        notReady: [{ nodeId: 'web/b', reason: 'Deployment/ns/web: timed_out (ROWKUBE_ERR_READY_TIMEOUT) …' }],
        stopped: false,
        durationMs: 3_140,
      },
      durationMs: 4_000,
    };
    expect(formatReplaySummary(report, 'k').split('\n').slice(4)).toEqual([
      '  result: 2 nodes done, 0 failed (4.0 s)',
      '  wait: 4 objects ready, 1 not ready within 3 s (2 nodes, 3.1 s)',
      '  not ready web/b: Deployment/ns/web: timed_out (ROWKUBE_ERR_READY_TIMEOUT) …',
      '',
    ]);
  });
});
