import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { StatusView } from '../../src/kafka/index.js';
import { node, resource, SinkHarness } from '../../support/sink-harness.js';
import { waitFor } from '../../support/wait-for.js';

// recreatePolicy against the real API server: a changed Deployment selector
// is refused as immutable (HTTP 422). OnImmutableChange deletes the object,
// waits until the watch shows it gone and creates it again, its dependents
// following; Never (the default) fails the resource with an error that names
// the field and the fix, and leaves the old object as it was.
describe('sink > policies > recreatePolicy', () => {
  const harness = new SinkHarness();
  const ns = harness.namespace;
  let status: StatusView | undefined;

  const deployment = (name: string, app: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
      },
    },
  });
  const configMap = (name: string, app: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
    data: { app },
  });
  const getDeployment = (name: string) =>
    harness.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name });
  const selectorOf = async (name: string) =>
    ((await getDeployment(name))?.spec as { selector?: unknown } | undefined)?.selector;

  beforeAll(async () => {
    await harness.setUp();
    harness.start();
    // The sink creates the status topic when it starts.
    status = await waitFor('the status topic', () =>
      StatusView.open({ kafka: harness.kafka, prefix: harness.prefix }).catch(() => undefined),
    );
    await status.ready();
  });
  afterAll(async () => {
    await status?.close();
    await harness.tearDown();
  });

  it('OnImmutableChange: a changed selector deletes the Deployment and creates it again', async () => {
    const version = (app: string) =>
      node('swap', [
        resource('app', deployment('swap', app), {
          recreatePolicy: 'OnImmutableChange',
          waitForReady: true,
          timeoutSeconds: 60,
        }),
        // A dependent: applied once the new Deployment is ready.
        resource('after', configMap('swap-after', app), { dependIds: ['app'] }),
      ]);
    await harness.write([version('v1')]);
    await harness.untilEvent('swap', 'after', 'created');
    const before = await getDeployment('swap');
    expect(before?.metadata.uid).toBeDefined();

    await harness.write([version('v2')]);
    const recreated = await harness.untilEvent('swap', 'app', 'recreated');
    expect(recreated.errorCode).toBeNull();
    expect(recreated.object).toMatchObject({ kind: 'Deployment', namespace: ns, name: 'swap' });
    expect(recreated.reason).toContain('spec.selector: field is immutable');
    expect(recreated.reason).toContain(`uid ${before?.metadata.uid}`);
    await harness.untilEvent('swap', 'after', 'configured');

    const after = await getDeployment('swap');
    expect(after?.metadata.uid).not.toBe(before?.metadata.uid);
    expect(await selectorOf('swap')).toEqual({ matchLabels: { app: 'v2' } });
    expect(await harness.actions('swap', 'app')).toEqual(['created', 'recreated']);
    const ready = await waitFor('web/swap Ready with the recreated Deployment', () => {
      const node = status?.get('web/swap');
      return node?.state === 'Ready' && node.objects.some((o) => o.lastAction === 'recreated')
        ? node
        : undefined;
    });
    expect(ready.objects.find((o) => o.resourceId === 'app')).toMatchObject({
      lastAction: 'recreated',
      ready: true,
    });
  });

  it('Never: the selector change fails with the field and the fix, the old object stays', async () => {
    const version = (app: string) => node('keep', [resource('app', deployment('keep', app))]);
    await harness.write([version('v1')]);
    await harness.untilEvent('keep', 'app', 'created');
    const before = await getDeployment('keep');

    await harness.write([version('v2')]);
    const failed = await harness.untilEvent('keep', 'app', 'failed');
    expect(failed.errorCode).toBe(ErrorCode.IMMUTABLE_FIELD);
    expect(failed.object).toMatchObject({ kind: 'Deployment', namespace: ns, name: 'keep' });
    expect(failed.reason).toContain(`Deployment/${ns}/keep`);
    expect(failed.reason).toContain('spec.selector: field is immutable');
    expect(failed.reason).toContain('set recreatePolicy: OnImmutableChange on resource app of form web');
    expect(failed.reason).toContain('or revert the change');

    const after = await getDeployment('keep');
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
    expect(await selectorOf('keep')).toEqual({ matchLabels: { app: 'v1' } });
    const failedStatus = await waitFor('web/keep Failed', () =>
      status?.get('web/keep')?.state === 'Failed' ? status.get('web/keep') : undefined,
    );
    expect(failedStatus.error?.code).toBe(ErrorCode.IMMUTABLE_FIELD);
  });
});
