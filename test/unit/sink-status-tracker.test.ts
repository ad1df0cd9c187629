import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AuditAction, AuditEvent, DesiredValue, NodeStatus } from '../../src/contracts/index.js';
import { nodeStateOf, statusDigest } from '../../src/sink/status/node-state.js';
import type { StatusBuilder } from '../../src/sink/status/status-publisher.js';
import { StatusTracker } from '../../src/sink/status/status-tracker.js';

// The node status state machine (docs/status.md) and the tracker that feeds
// it the sink's outcomes, with a recorder in place of the status topic.

const manifest = (kind: string, name: string, namespace?: string) =>
  JSON.stringify({ apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) } });

function desired(overrides: Partial<DesiredValue> = {}): DesiredValue {
  const resource = (id: string, kind: string, name: string, namespace?: string) => ({
    id,
    manifest: manifest(kind, name, namespace),
    dependIds: [],
    waitForReady: false,
    timeoutSeconds: 60,
    skipOnDependencyFailure: true,
    creationPolicy: 'WhenNeeded',
    deletionPolicy: 'Delete',
    conflictPolicy: 'Stuck',
    targetNamespace: null,
    ignoreFields: [],
  });
  return {
    id: 'web/acme',
    form: 'web',
    hub: 'tenants',
    uid: 'acme',
    resources: [
      resource('ns', 'Namespace', 'tenant-acme'),
      resource('cm', 'ConfigMap', 'acme', 'tenant-acme'),
    ],
    error: null,
    contentHash: 'h1',
    provenance: {
      source: 'appdb',
      table: 'tenants',
      position: '{"file":"bin.000001","pos":42}',
      commitTsMs: 1_000n,
      primaryKey: '{"id":1}',
    },
    ...overrides,
  };
}

function event(action: AuditAction, resourceId: string | null, extra: Partial<AuditEvent> = {}): AuditEvent {
  const object =
    resourceId === 'ns'
      ? { apiVersion: 'v1', kind: 'Namespace', namespace: null, name: 'tenant-acme' }
      : resourceId === 'cm'
        ? { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'tenant-acme', name: 'acme' }
        : null;
  return {
    nodeId: 'web/acme',
    hub: 'tenants',
    form: 'web',
    resourceId,
    object,
    action,
    reason: `${action} reason`,
    errorCode: null,
    provenance: desired().provenance,
    appliedAtMs: 2_000n,
    latencyMs: 1_000n,
    fieldManager: 'rowkube',
    ...extra,
  };
}

/** A tracker whose statuses are built as soon as they are published, as one send each. */
function tracked(options: { retentionMs?: number; mayRemove?: (id: string) => boolean } = {}) {
  let now = 10_000;
  const written: (NodeStatus | { tombstone: string })[] = [];
  const tracker = new StatusTracker({
    sink: {
      publish: (nodeId: string, build: StatusBuilder) => {
        const status = build();
        written.push(status ?? { tombstone: nodeId });
        return Promise.resolve();
      },
    },
    deletedRetentionMs: options.retentionMs ?? 1_000,
    partsOf: () => ({ hub: 'tenants', form: 'web' }),
    mayRemove: options.mayRemove ?? (() => true),
    logger: pino({ level: 'silent' }),
    now: () => now,
  });
  return {
    tracker,
    written,
    states: () => written.map((w) => ('tombstone' in w ? 'tombstone' : w.state)),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const applied = [event('created', 'ns'), event('configured', 'cm')];

describe('sink > status > state machine', () => {
  it('Ready when every object was applied', () => {
    expect(nodeStateOf(desired(), applied, { kind: 'handled' })).toEqual({ state: 'Ready', error: null });
  });

  it('Failed, with the code and the field, when the row was not rendered', () => {
    const value = desired({
      resources: [],
      error: {
        code: 'ROWKUBE_ERR_INVALID_NAME',
        message: "'Bad_Tenant' is not a DNS label",
        resourceId: 'ns',
        path: 'metadata.name',
      },
    });
    const failed = event('failed', 'ns', { object: null, errorCode: 'ROWKUBE_ERR_INVALID_NAME' });
    expect(nodeStateOf(value, [failed], { kind: 'handled' })).toEqual({
      state: 'Failed',
      error: {
        code: 'ROWKUBE_ERR_INVALID_NAME',
        message: "'Bad_Tenant' is not a DNS label (at metadata.name)",
      },
    });
  });

  it.each([
    [['failed', 'conflict', 'skipped'], 'Failed'],
    [['timed_out'], 'Failed'],
    [['refused'], 'Failed'],
    [['conflict', 'skipped'], 'Conflict'],
    [['skipped'], 'Skipped'],
  ] as const)('%j makes the node %s; the first error names it', (actions, state) => {
    const events = actions.map((action, i) =>
      event(action, i === 0 ? 'ns' : 'cm', action === 'skipped' ? {} : { errorCode: `ROWKUBE_ERR_${i}` }),
    );
    const result = nodeStateOf(desired(), events, { kind: 'handled' });
    expect(result.state).toBe(state);
    if (actions[0] !== 'skipped')
      expect(result.error).toEqual({ code: 'ROWKUBE_ERR_0', message: `${actions[0]} reason` });
  });

  it('Deleted when the node is gone, Failed when its removal failed for good', () => {
    expect(
      nodeStateOf(null, [event('deleted', 'cm'), event('retained', 'ns')], { kind: 'handled' }).state,
    ).toBe('Deleted');
    expect(nodeStateOf(null, [], { kind: 'handled' }).state).toBe('Deleted');
    expect(
      nodeStateOf(null, [event('failed', 'cm', { errorCode: 'ROWKUBE_ERR_KUBERNETES' })], { kind: 'handled' })
        .state,
    ).toBe('Failed');
  });

  it('a whole-node failure: Progressing while retried, Failed when given up', () => {
    const error = { code: 'ROWKUBE_ERR_KUBERNETES_UNREACHABLE', message: 'connect ECONNREFUSED' };
    expect(nodeStateOf(desired(), [], { kind: 'failed', final: false, error })).toEqual({
      state: 'Progressing',
      error,
    });
    expect(nodeStateOf(desired(), [], { kind: 'failed', final: true, error }).state).toBe('Failed');
  });

  it('the digest ignores the times and sees actions, readiness and errors', () => {
    const { tracker, written } = tracked();
    void tracker.handled('web/acme', desired(), applied, false);
    void tracker.handled('web/acme', desired(), [event('unchanged', 'ns'), event('unchanged', 'cm')], false);
    const [a, b] = written as NodeStatus[];
    expect(statusDigest(a as NodeStatus)).not.toBe(statusDigest(b as NodeStatus));
    expect(statusDigest({ ...(a as NodeStatus), updatedAtMs: 1n, stateSinceMs: 2n })).toBe(
      statusDigest(a as NodeStatus),
    );
  });
});

describe('sink > status > tracker', () => {
  it('writes Progressing then Ready with each object, its last action and readiness, and the row version', async () => {
    const { tracker, written, states, advance } = tracked();
    tracker.started('web/acme', desired());
    advance(250);
    await tracker.handled('web/acme', desired(), [...applied, event('timed_out', 'cm')], false);
    expect(states()).toEqual(['Progressing', 'Failed']);
    const progressing = written[0] as NodeStatus;
    expect(progressing.objects).toEqual([
      {
        resourceId: 'ns',
        apiVersion: 'v1',
        kind: 'Namespace',
        namespace: null,
        name: 'tenant-acme',
        lastAction: 'pending',
        ready: false,
      },
      {
        resourceId: 'cm',
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'tenant-acme',
        name: 'acme',
        lastAction: 'pending',
        ready: false,
      },
    ]);
    const failed = written[1] as NodeStatus;
    expect(failed).toMatchObject({
      nodeId: 'web/acme',
      hub: 'tenants',
      form: 'web',
      stateSinceMs: 10_250n,
      updatedAtMs: 10_250n,
      source: 'appdb',
      table: 'tenants',
      position: '{"file":"bin.000001","pos":42}',
      commitTsMs: 1_000n,
      contentHash: 'h1',
      error: null,
    });
    expect(failed.objects.map((o) => [o.name, o.lastAction, o.ready])).toEqual([
      ['tenant-acme', 'created', true],
      ['acme', 'timed_out', false],
    ]);
  });

  it('lists a skipped object from its manifest and leaves a pruned one out', async () => {
    const { tracker, written } = tracked();
    const pruned = event('pruned', 'old', {
      object: { apiVersion: 'v1', kind: 'Secret', namespace: 'tenant-acme', name: 'gone' },
    });
    await tracker.handled(
      'web/acme',
      desired(),
      [
        event('conflict', 'ns', { errorCode: 'ROWKUBE_ERR_CONFLICT' }),
        event('skipped', 'cm', { object: null }),
        pruned,
      ],
      false,
    );
    const status = written[0] as NodeStatus;
    expect(status.state).toBe('Conflict');
    expect(status.error).toEqual({ code: 'ROWKUBE_ERR_CONFLICT', message: 'conflict reason', at: 10_000n });
    expect(status.objects.map((o) => [o.kind, o.namespace, o.name, o.lastAction])).toEqual([
      ['Namespace', null, 'tenant-acme', 'conflict'],
      ['ConfigMap', 'tenant-acme', 'acme', 'skipped'],
    ]);
  });

  it('keeps stateSinceMs while the state stays, and a drift re-apply that changes nothing writes nothing', async () => {
    const { tracker, written, states, advance } = tracked();
    await tracker.handled('web/acme', desired(), applied, false);
    advance(1_000);
    const unchanged = [event('unchanged', 'ns'), event('unchanged', 'cm')];
    await tracker.handled('web/acme', desired(), unchanged, true);
    advance(1_000);
    await tracker.handled('web/acme', desired(), unchanged, true);
    expect(states()).toEqual(['Ready', 'Ready']);
    expect((written[1] as NodeStatus).stateSinceMs).toBe(10_000n);
    expect((written[1] as NodeStatus).updatedAtMs).toBe(11_000n);
  });

  it('writes Deleted, then the tombstone once the retention passed and the node may be removed here', async () => {
    let mine = false;
    const { tracker, states, advance } = tracked({ retentionMs: 1_000, mayRemove: () => mine });
    await tracker.handled('web/acme', desired(), applied, false);
    await tracker.handled('web/acme', null, [event('deleted', 'cm')], false);
    expect(tracker.removeDue()).toBe(0);
    advance(1_000);
    expect(tracker.removeDue()).toBe(0);
    mine = true;
    expect(tracker.removeDue()).toBe(1);
    expect(states()).toEqual(['Ready', 'Deleted', 'tombstone']);
    expect(tracker.stateOf('web/acme')).toBeUndefined();
  });

  it('a node that comes back before the retention passed gets no tombstone', async () => {
    const { tracker, states, advance } = tracked({ retentionMs: 1_000 });
    await tracker.handled('web/acme', null, [], false);
    tracker.started('web/acme', desired());
    advance(2_000);
    expect(tracker.removeDue()).toBe(0);
    expect(states()).toEqual(['Deleted', 'Progressing']);
  });

  it('counts the retention of a Deleted status read at start from when the node was deleted', async () => {
    const { tracker, written, states, advance } = tracked({ retentionMs: 1_000 });
    await tracker.handled('web/acme', null, [], false);
    const deleted = written[0] as NodeStatus;
    const restarted = tracked({ retentionMs: 1_000 });
    restarted.tracker.seed('web/acme', deleted);
    restarted.tracker.seed('web/other', { ...deleted, nodeId: 'web/other' });
    restarted.tracker.seed('web/other', null);
    expect(restarted.tracker.size).toBe(1);
    restarted.advance(999);
    expect(restarted.tracker.removeDue()).toBe(0);
    restarted.advance(1);
    expect(restarted.tracker.removeDue()).toBe(1);
    expect(restarted.states()).toEqual(['tombstone']);
    advance(0);
    expect(states()).toEqual(['Deleted']);
  });

  it('a whole-node failure being retried keeps the node Progressing, with the error', async () => {
    const { tracker, written } = tracked();
    tracker.started('web/acme', desired());
    await tracker.failed(
      'web/acme',
      desired(),
      { code: 'ROWKUBE_ERR_KUBERNETES', message: 'no answer; retrying in 1000 ms' },
      false,
    );
    await tracker.failed(
      'web/acme',
      desired(),
      { code: 'ROWKUBE_ERR_KUBERNETES', message: 'no answer' },
      true,
    );
    expect(written.map((w) => [(w as NodeStatus).state, (w as NodeStatus).error?.message ?? null])).toEqual([
      ['Progressing', null],
      ['Progressing', 'no answer; retrying in 1000 ms'],
      ['Failed', 'no answer'],
    ]);
    expect((written[1] as NodeStatus).stateSinceMs).toBe((written[0] as NodeStatus).stateSinceMs);
  });
});
