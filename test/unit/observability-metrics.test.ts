import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/contracts/index.js';
import { MetricName, RowkubeMetrics } from '../../src/observability/index.js';

function event(action: AuditEvent['action'], fields: Partial<AuditEvent> = {}): AuditEvent {
  return {
    nodeId: 'web/acme',
    hub: 'tenants',
    form: 'web',
    resourceId: 'ns',
    object: null,
    action,
    reason: '',
    errorCode: null,
    provenance: { source: 'appdb', table: 'tenants', position: null, commitTsMs: 1_000n },
    appliedAtMs: 1_250n,
    latencyMs: 250n,
    fieldManager: 'rowkube',
    ...fields,
  };
}

const metrics = () => new RowkubeMetrics({ processMetrics: false, now: () => 11_000 });

describe('Observability > RowkubeMetrics', () => {
  it('shows which sources this replica leads, and counts the terms it began', async () => {
    const m = metrics();
    m.captureLeader('appdb', false);
    m.captureLeader('appdb', true);
    m.captureLeader('appdb', true);
    m.captureLeader('appdb', false);
    m.captureLeader('appdb', true);
    m.captureLeader('billing', false);
    const text = await m.exposition();
    expect(text).toContain(`${MetricName.CAPTURE_LEADER}{source="appdb"} 1`);
    expect(text).toContain(`${MetricName.CAPTURE_LEADER}{source="billing"} 0`);
    expect(text).toContain(`${MetricName.LEADER_TRANSITIONS}{source="appdb"} 2`);
  });

  it('observes the COMMIT→apply latency of created and configured objects only, in seconds', async () => {
    const m = metrics();
    m.sinkAudited([event('created'), event('configured', { latencyMs: 40_000n }), event('unchanged')]);
    const text = await m.exposition();
    expect(text).toContain(`${MetricName.COMMIT_TO_APPLY}_count{action="created"} 1`);
    expect(text).toContain(`${MetricName.COMMIT_TO_APPLY}_sum{action="created"} 0.25`);
    expect(text).toContain(`${MetricName.COMMIT_TO_APPLY}_bucket{le="0.25",action="created"} 1`);
    expect(text).toContain(`${MetricName.COMMIT_TO_APPLY}_bucket{le="30",action="configured"} 0`);
    expect(text).toContain(`${MetricName.COMMIT_TO_APPLY}_bucket{le="60",action="configured"} 1`);
    expect(text).not.toContain(`${MetricName.COMMIT_TO_APPLY}_count{action="unchanged"}`);
    expect(text).toContain(`${MetricName.SINK_ACTIONS}{action="unchanged"} 1`);
  });

  it('splits the writes of changes into capture, process and apply; events without stage times count in none', async () => {
    const m = metrics();
    const stages = { capturedAtMs: 1_003n, changeSeenAtMs: 1_020n, desiredSeenAtMs: 1_050n };
    m.sinkAudited([
      event('configured', { stages }),
      event('unchanged', { stages }),
      event('created', { stages: null }),
      event('created'),
    ]);
    const text = await m.exposition();
    expect(text).toContain(`${MetricName.STAGE_LATENCY}_count{stage="capture"} 1`);
    expect(text).toContain(`${MetricName.STAGE_LATENCY}_sum{stage="capture"} 0.02`);
    expect(text).toContain(`${MetricName.STAGE_LATENCY}_sum{stage="process"} 0.03`);
    expect(text).toContain(`${MetricName.STAGE_LATENCY}_sum{stage="apply"} 0.2`);
    expect(text).toContain(`${MetricName.STAGE_LATENCY}_bucket{le="0.001",stage="capture"} 0`);
    expect(text).toContain(`${MetricName.STAGE_LATENCY}_bucket{le="0.025",stage="capture"} 1`);
  });

  it('counts error codes of failed actions and leaves out events without a commit time', async () => {
    const m = metrics();
    m.sinkAudited([
      event('failed', { errorCode: 'ROWKUBE_ERR_KUBERNETES_INVALID', latencyMs: 10n }),
      event('created', {
        latencyMs: null,
        provenance: { source: '', table: '', position: null, commitTsMs: null },
      }),
    ]);
    const text = await m.exposition();
    expect(text).toContain(`${MetricName.ERRORS}{stage="sink",code="ROWKUBE_ERR_KUBERNETES_INVALID"} 1`);
    expect(text).not.toContain(`${MetricName.COMMIT_TO_APPLY}_count`);
    // prom-client writes NaN as "Nan"; Prometheus reads either spelling.
    expect(text).toMatch(new RegExp(`^${MetricName.LAST_APPLIED_COMMIT_AGE} nan$`, 'im'));
  });

  it('reports the age of the newest applied commit at scrape time', async () => {
    const m = metrics();
    m.sinkAudited([
      event('created', { provenance: { source: 'a', table: 't', position: null, commitTsMs: 6_000n } }),
    ]);
    m.sinkAudited([
      event('deleted', { provenance: { source: 'a', table: 't', position: null, commitTsMs: 1_000n } }),
    ]);
    const text = await m.exposition();
    expect(text).toContain(`${MetricName.LAST_APPLIED_COMMIT_AGE} 5`);
    expect(text).toContain(`${MetricName.LAST_APPLIED_COMMIT} 6`);
  });

  it('counts captured events, desired records by kind and node errors by code', async () => {
    const m = metrics();
    m.changesCaptured('appdb', 'tenants', 3);
    m.desiredCommitted([
      { kind: 'node' },
      { kind: 'absent' },
      { kind: 'error', error: { code: 'ROWKUBE_ERR_TEMPLATE' } },
    ]);
    m.stageFailed('processor', Object.assign(new Error('x'), { code: 'ROWKUBE_ERR_KAFKA' }));
    m.stageFailed('capture', new TypeError('a bug'));
    const text = await m.exposition();
    expect(text).toContain(`${MetricName.CHANGE_EVENTS}{source="appdb",table="tenants"} 3`);
    expect(text).toContain(`${MetricName.DESIRED_RECORDS}{kind="error"} 1`);
    expect(text).toContain(`${MetricName.ERRORS}{stage="processor",code="ROWKUBE_ERR_TEMPLATE"} 1`);
    expect(text).toContain(`${MetricName.ERRORS}{stage="processor",code="ROWKUBE_ERR_KAFKA"} 1`);
    expect(text).toContain(`${MetricName.ERRORS}{stage="capture",code="unclassified"} 1`);
  });

  it("reports a snapshot's rows committed out of the estimate, a resumed one from its stored progress", async () => {
    const m = metrics();
    m.snapshotProgress('appdb', 30_000, 1_000_000);
    m.snapshotProgress('appdb', 412_019, 1_000_000);
    const text = await m.exposition();
    expect(text).toContain(`${MetricName.SNAPSHOT_ROWS}{source="appdb"} 412019`);
    expect(text).toContain(`${MetricName.SNAPSHOT_ROWS_ESTIMATED}{source="appdb"} 1000000`);
  });

  it('is ready only once every expected component reported itself running', () => {
    const m = metrics();
    m.expect(['capture/appdb', 'sink']);
    m.componentState('sink', true);
    expect(m.readiness.report()).toEqual({
      ready: false,
      components: { 'capture/appdb': { ready: false, reason: 'starting' }, sink: { ready: true } },
    });
    m.componentState('capture/appdb', true);
    expect(m.readiness.report().ready).toBe(true);
    m.componentState('sink', false, 'restarting');
    expect(m.readiness.report().ready).toBe(false);
  });

  it('shows the removals the guard holds per hub, and stays ready with the reason', async () => {
    const m = metrics();
    m.expect(['processor']);
    m.deletionsHeld('tenants', 60);
    m.componentState('processor', true, 'deletions held: hub tenants: 60 (rowkube release tenants)');
    expect(await m.exposition()).toContain(`${MetricName.DELETIONS_HELD}{hub="tenants"} 60`);
    expect(m.readiness.report()).toMatchObject({ ready: true, components: { processor: { ready: true } } });
  });

  it("shows a form's rollout: its state, and its nodes by phase", async () => {
    const m = metrics();
    m.formRollout('web', 'paused', { pending: 190, inProgress: 0, ready: 7, failed: 3 });
    const text = await m.exposition();
    expect(text).toContain(`${MetricName.ROLLOUT_STATE}{form="web",state="paused"} 1`);
    expect(text).toContain(`${MetricName.ROLLOUT_STATE}{form="web",state="rolling"} 0`);
    expect(text).toContain(`${MetricName.ROLLOUT_NODES}{form="web",phase="failed"} 3`);
    expect(text).toContain(`${MetricName.ROLLOUT_NODES}{form="web",phase="pending"} 190`);
  });

  it('includes the process metrics unless told not to', async () => {
    expect(await new RowkubeMetrics().exposition()).toContain('process_cpu_user_seconds_total');
    expect(await metrics().exposition()).not.toContain('process_cpu_user_seconds_total');
  });
});
