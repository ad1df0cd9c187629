import { describe, expect, it } from 'vitest';
import { type DesiredValue, stageDurations } from '../../src/contracts/index.js';
import { desiredSeen, nodeAuditFor } from '../../src/sink/runner/desired-work.js';

// The stage times an audit event carries: the change's own on its first
// handling, none on a later one (a drift re-apply, a retry) whose timing is
// no longer that change's way through the pipeline.

const config = {
  forms: [{ name: 'web', hub: 'tenants', resources: [] }],
  kubernetes: { fieldManager: 'rowkube' },
};

function desired(): DesiredValue {
  return {
    id: 'web/acme',
    form: 'web',
    hub: 'tenants',
    uid: 'acme',
    resources: [],
    error: null,
    contentHash: 'h',
    provenance: {
      source: 'appdb',
      table: 'tenants',
      position: null,
      commitTsMs: 1_000n,
      primaryKey: '{"tenant_id":"acme"}',
      capturedAtMs: 1_002n,
      changeSeenAtMs: 1_015n,
    },
  };
}

function firstEvent(value: DesiredValue) {
  const audit = nodeAuditFor('web/acme', value, config);
  audit.record('configured', { reason: 'test' });
  const [event] = audit.events;
  if (event === undefined) throw new Error('no event recorded');
  return event;
}

describe('sink > stage times', () => {
  it('gives the first handling of a desired record read from the topic its stage times', () => {
    const value = desired();
    desiredSeen(value, 1_040);
    const event = firstEvent(value);
    expect(event.stages).toEqual({ capturedAtMs: 1_002n, changeSeenAtMs: 1_015n, desiredSeenAtMs: 1_040n });
    const durations = stageDurations(event);
    expect(durations.captureMs).toBe(15);
    expect(durations.processMs).toBe(25);
    expect(durations.applyMs).toBe(Number(event.appliedAtMs) - 1_040);
  });

  it('gives a later handling of the same record (drift, retry) none', () => {
    const value = desired();
    desiredSeen(value, 1_040);
    firstEvent(value);
    const again = firstEvent(value);
    expect(again.stages).toBeNull();
    expect(stageDurations(again)).toEqual({ captureMs: null, processMs: null, applyMs: null });
  });

  it('gives a record of an older processor (no capture or processor times) only the apply stage', () => {
    const value = desired();
    const { capturedAtMs: _c, changeSeenAtMs: _s, ...older } = value.provenance;
    value.provenance = older;
    desiredSeen(value, 1_040);
    const durations = stageDurations(firstEvent(value));
    expect(durations.captureMs).toBeNull();
    expect(durations.processMs).toBeNull();
    expect(durations.applyMs).not.toBeNull();
  });
});
