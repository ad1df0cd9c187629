import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedAuditEvent } from '../../src/contracts/index.js';
import { ErrorCode } from '../../src/core/errors.js';
import type { KubeObject } from '../../src/sink/kube/index.js';
import { node, resource, SinkHarness } from '../../support/sink-harness.js';
import { waitFor } from '../../support/wait-for.js';

// The order in which the sink handles a node's resources, against the real
// control plane: kind tiers and dependIds, a dependent held back until a
// Deployment is Available (the controller manager, scheduler and kwok make it
// so), and a dependency that never becomes ready: timed out, its dependents
// skipped or applied as skipOnDependencyFailure says.
describe('sink > policies > order and readiness', () => {
  const harness = new SinkHarness();
  const ns = harness.namespace;

  const configMap = (name: string, namespace = ns) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    data: { name },
  });
  const deployment = (name: string, podSpec: object = {}, spec: object = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      ...spec,
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], ...podSpec },
      },
    },
  });
  const get = (kind: string, name: string, namespace = ns) =>
    harness.kube.get({ apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, namespace, name });
  const availableSince = (object: KubeObject | undefined): string | undefined => {
    const conditions = (
      object?.status as { conditions?: { type: string; status: string; lastTransitionTime: string }[] }
    )?.conditions;
    const available = conditions?.find((c) => c.type === 'Available' && c.status === 'True');
    return available?.lastTransitionTime;
  };
  const createdEvent = (events: DecodedAuditEvent[], resourceId: string) => {
    const index = events.findIndex((e) => e.resourceId === resourceId && e.action === 'created');
    expect(index, `a 'created' event for ${resourceId}`).toBeGreaterThanOrEqual(0);
    return { index, event: events[index] as DecodedAuditEvent };
  };

  beforeAll(async () => {
    await harness.setUp();
    harness.start();
  });
  afterAll(() => harness.tearDown());

  it('applies kind tiers in order, and a dependId moves a resource after what it depends on', async () => {
    const dagNs = `${ns}-dag`;
    // Listed in the reverse of the order they must be applied in.
    await harness.write([
      node('dag', [
        // A ConfigMap would go before a Service; its dependId puts it after.
        resource('late', configMap('late', dagNs), { dependIds: ['svc'] }),
        resource('svc', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'web', namespace: dagNs },
          spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
        }),
        resource('app', { ...deployment('web'), metadata: { name: 'web', namespace: dagNs } }),
        resource('config', configMap('settings', dagNs)),
        resource('ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: dagNs } }),
      ]),
    ]);
    await harness.untilEvent('dag', 'late', 'created');

    const events = await harness.events('dag');
    const order = ['ns', 'config', 'app', 'svc', 'late'].map((id) => createdEvent(events, id));
    // Each resource is audited when its apply finished and the next one starts
    // only after that, so the audit order is the apply order.
    const indexes = order.map(({ index }) => index);
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    const times = order.map(({ event }) => Number(event.appliedAtMs));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // The API server's own clock agrees (whole seconds, so only "not before").
    const stamps = await Promise.all(
      [
        get('Namespace', dagNs, ''),
        get('ConfigMap', 'settings', dagNs),
        get('Deployment', 'web', dagNs),
        get('Service', 'web', dagNs),
        get('ConfigMap', 'late', dagNs),
      ].map(async (object) => String((await object)?.metadata.creationTimestamp)),
    );
    expect(stamps).toEqual([...stamps].sort());
  });

  it('creates a dependent only once the Deployment it depends on is Available', async () => {
    // kwok makes a pod Ready in a moment; minReadySeconds holds the Deployment
    // back from Available for a known while after that, long enough to watch.
    const minReadySeconds = 2;
    await harness.write([
      node('waits', [
        resource('after', configMap('after-app'), { dependIds: ['app'] }),
        resource('app', deployment('app', {}, { minReadySeconds }), {
          waitForReady: true,
          timeoutSeconds: 60,
        }),
      ]),
    ]);

    // Read the dependent first, then the Deployment: an absent dependent next
    // to a Deployment that is not Available yet is the sink waiting.
    let sawWaiting = false;
    const { dependent, app } = await waitFor(
      'the dependent ConfigMap to be created',
      async () => {
        const dependent = await get('ConfigMap', 'after-app');
        const app = await get('Deployment', 'app');
        if (dependent === undefined) {
          if (app !== undefined && availableSince(app) === undefined) sawWaiting = true;
          return undefined;
        }
        return { dependent, app };
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    expect(sawWaiting, 'the dependent was absent while the Deployment was not Available').toBe(true);
    const since = availableSince(app);
    expect(since, 'the Deployment is Available once its dependent exists').toBeDefined();
    expect(String(dependent.metadata.creationTimestamp) >= String(since)).toBe(true);

    await harness.untilEvent('waits', 'after', 'created');
    const events = await harness.events('waits');
    const appCreated = createdEvent(events, 'app');
    const afterCreated = createdEvent(events, 'after');
    expect(afterCreated.index).toBeGreaterThan(appCreated.index);
    expect(Number(afterCreated.event.appliedAtMs - appCreated.event.appliedAtMs)).toBeGreaterThanOrEqual(
      minReadySeconds * 1_000,
    );
    // Available is recorded in whole seconds, truncated: the dependent came after it.
    expect(Number(afterCreated.event.appliedAtMs)).toBeGreaterThanOrEqual(Date.parse(String(since)));
  });

  it('times out a Deployment that never becomes Available, skips one dependent and applies the other', async () => {
    const never = deployment('never', { nodeSelector: { 'example.com/no-such-node': 'true' } });
    await harness.write([
      node('stuck', [
        resource('never', never, { waitForReady: true, timeoutSeconds: 2 }),
        resource('skipper', configMap('skipper'), { dependIds: ['never'], skipOnDependencyFailure: true }),
        resource('goer', configMap('goer'), { dependIds: ['never'], skipOnDependencyFailure: false }),
      ]),
    ]);

    const timedOut = await harness.untilEvent('stuck', 'never', 'timed_out');
    expect(timedOut).toMatchObject({
      errorCode: ErrorCode.READY_TIMEOUT,
      object: { kind: 'Deployment', namespace: ns, name: 'never' },
    });
    expect(timedOut.reason).toContain('not ready after 2 s');
    const created = await harness.untilEvent('stuck', 'never', 'created');
    expect(Number(timedOut.appliedAtMs - created.appliedAtMs)).toBeGreaterThanOrEqual(2_000);

    const skipped = await harness.untilEvent('stuck', 'skipper', 'skipped');
    expect(skipped.reason).toContain("'never'");
    expect(await harness.actions('stuck', 'skipper')).toEqual(['skipped']);
    expect(await get('ConfigMap', 'skipper')).toBeUndefined();

    const applied = await harness.untilEvent('stuck', 'goer', 'created');
    expect(applied.appliedAtMs).toBeGreaterThanOrEqual(timedOut.appliedAtMs);
    expect((await get('ConfigMap', 'goer'))?.data).toEqual({ name: 'goer' });
    // The Deployment itself stays: only waiting for it gave up.
    expect(availableSince(await get('Deployment', 'never'))).toBeUndefined();
  });
});
