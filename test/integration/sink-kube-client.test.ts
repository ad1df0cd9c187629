import { createServer } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import {
  ApplyConflictError,
  KubeApiError,
  KubeClient,
  type KubeObject,
  type ObjectRef,
  WatchError,
} from '../../src/sink/kube/index.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';

// The sink's Kubernetes client against the stack's real kube-apiserver.
describe('sink > KubeClient', () => {
  const env = stackEnv();
  const client = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const run = uniqueName('kc').replaceAll('_', '-');
  const namespaceA = `${run}-a`;
  const namespaceB = `${run}-b`;
  const apply = { fieldManager: 'rowkube', force: false };

  function configMap(name: string, data: Record<string, string>, namespace = namespaceA): KubeObject {
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
  }
  function ref(name: string, namespace = namespaceA): ObjectRef {
    return { apiVersion: 'v1', kind: 'ConfigMap', namespace, name };
  }
  async function failureOf(promise: Promise<unknown>): Promise<KubeApiError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof KubeApiError)) throw new Error(`expected a KubeApiError, got ${String(error)}`);
    return error;
  }

  beforeAll(async () => {
    for (const name of [namespaceA, namespaceB]) {
      await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, apply);
    }
  });

  afterAll(async () => {
    for (const name of [namespaceA, namespaceB]) {
      await client.delete({ apiVersion: 'v1', kind: 'Namespace', name }, { propagation: 'Background' });
    }
    client.close();
  });

  describe('apply', () => {
    it('creates, and leaves the resourceVersion alone when applied again unchanged', async () => {
      const created = await client.apply(configMap('same', { plan: 'gold' }), apply);
      expect(created.data).toEqual({ plan: 'gold' });
      expect(created.metadata.managedFields?.map((f) => f.manager)).toEqual(['rowkube']);

      const again = await client.apply(configMap('same', { plan: 'gold' }), apply);
      expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      const changed = await client.apply(configMap('same', { plan: 'silver' }), apply);
      expect(changed.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
    });

    it('dry-run computes the result without persisting it', async () => {
      const preview = await client.apply(configMap('dry', { plan: 'gold' }), { ...apply, dryRun: true });
      expect(preview.data).toEqual({ plan: 'gold' });
      expect(await client.get(ref('dry'))).toBeUndefined();

      const stored = await client.apply(configMap('dry', { plan: 'gold' }), apply);
      const changedPreview = await client.apply(configMap('dry', { plan: 'silver' }), {
        ...apply,
        dryRun: true,
      });
      expect(changedPreview.data).toEqual({ plan: 'silver' });
      const current = await client.get(ref('dry'));
      expect(current?.data).toEqual({ plan: 'gold' });
      expect(current?.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
    });

    it('names the other manager and its field on a conflict, and takes the field with force', async () => {
      await client.apply(configMap('owned', { replicas: '1' }), {
        fieldManager: 'someone-else',
        force: false,
      });

      const conflict = await failureOf(client.apply(configMap('owned', { replicas: '3' }), apply));
      expect(conflict).toBeInstanceOf(ApplyConflictError);
      const { conflicts, managers } = conflict as ApplyConflictError;
      expect(conflicts).toEqual([{ manager: 'someone-else', field: '.data.replicas' }]);
      expect(managers).toEqual(['someone-else']);
      expect(conflict.code).toBe(ErrorCode.APPLY_CONFLICT);
      expect(conflict.retriable).toBe(false);
      expect(conflict.message).toContain(`ConfigMap/${namespaceA}/owned`);
      expect(conflict.message).toContain('.data.replicas (owned by "someone-else")');
      expect((await client.get(ref('owned')))?.data).toEqual({ replicas: '1' });

      const forced = await client.apply(configMap('owned', { replicas: '3' }), { ...apply, force: true });
      expect(forced.data).toEqual({ replicas: '3' });
      const owners = (forced.metadata.managedFields ?? []).filter((f) =>
        JSON.stringify(f.fieldsV1).includes('f:replicas'),
      );
      expect(owners.map((f) => f.manager)).toEqual(['rowkube']);
    });

    it('rejects an invalid object as not retriable, naming the object and the server reason', async () => {
      const badName = await failureOf(client.apply(configMap('Bad_Name', { plan: 'gold' }), apply));
      expect(badName.code).toBe(ErrorCode.KUBERNETES_INVALID);
      expect(badName.retriable).toBe(false);
      expect(badName.status).toBe(422);
      expect(badName.message).toContain(`ConfigMap/${namespaceA}/Bad_Name: apply failed (HTTP 422 Invalid)`);
      expect(badName.message).toContain('metadata.name: Invalid value');
      expect(badName.message).toBe(`${ErrorCode.KUBERNETES_INVALID}: ${badName.summary}`);

      // The API server answers a value of the wrong type with HTTP 500, not 422.
      const wrongType = { ...configMap('typed', {}), data: { replicas: 3 } } as KubeObject;
      const untypable = await failureOf(client.apply(wrongType, apply));
      expect(untypable.code).toBe(ErrorCode.KUBERNETES_INVALID);
      expect(untypable.retriable).toBe(false);
      expect(untypable.message).toContain(`ConfigMap/${namespaceA}/typed`);
      expect(untypable.message).toContain('.data.replicas: expected string');
    });

    it('reports an unknown kind as not retriable, naming apiVersion and kind', async () => {
      const widget = {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: namespaceA },
      };
      const unknown = await failureOf(client.apply(widget, apply));
      expect(unknown.code).toBe(ErrorCode.UNKNOWN_KIND);
      expect(unknown.retriable).toBe(false);
      expect(unknown.message).toContain(`Widget/${namespaceA}/w`);
      expect(unknown.message).toContain('no resource of kind Widget in example.com/v1');

      const coreTypo = await failureOf(client.isNamespaced('v1', 'ConfigMaps'));
      expect(coreTypo.code).toBe(ErrorCode.UNKNOWN_KIND);
      expect(coreTypo.message).toContain('ConfigMaps (v1)');
    });

    it('fails retriably in a namespace that does not exist (yet)', async () => {
      const missing = await failureOf(client.apply(configMap('cfg', {}, `${run}-missing`), apply));
      expect(missing.code).toBe(ErrorCode.KUBERNETES);
      expect(missing.retriable).toBe(true);
      expect(missing.status).toBe(404);
      expect(missing.message).toContain(`namespaces "${run}-missing" not found`);
    });
  });

  describe('get, delete, merge patch', () => {
    it('gets undefined for a missing object', async () => {
      expect(await client.get(ref('never-created'))).toBeUndefined();
      expect(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: `${run}-never` })).toBeUndefined();
    });

    it('deletes, then reports the object absent', async () => {
      await client.apply(configMap('doomed', { plan: 'gold' }), apply);
      expect(await client.delete(ref('doomed'), { propagation: 'Background' })).toBe('deleted');
      expect(await client.get(ref('doomed'))).toBeUndefined();
      expect(await client.delete(ref('doomed'), { propagation: 'Foreground' })).toBe('absent');
    });

    it('merge-patches labels away and annotations on, and returns undefined for a missing object', async () => {
      const labelled = configMap('retained', { plan: 'gold' });
      labelled.metadata.labels = { 'rowkube.io/node': 'web-acme', keep: 'yes' };
      await client.apply(labelled, apply);

      const patched = await client.mergePatch(ref('retained'), {
        metadata: { labels: { 'rowkube.io/node': null }, annotations: { 'rowkube.io/orphaned': 'true' } },
      });
      expect(patched?.metadata.labels).toEqual({ keep: 'yes' });
      expect(patched?.metadata.annotations).toEqual({ 'rowkube.io/orphaned': 'true' });
      expect(await client.mergePatch(ref('not-there'), { metadata: { labels: { a: 'b' } } })).toBeUndefined();
    });
  });

  describe('list and discovery', () => {
    it('lists the labelled objects of a kind across namespaces, page by page', async () => {
      const selector = `rowkube.io/run=${run}`;
      const expected: string[] = [];
      for (const namespace of [namespaceA, namespaceB]) {
        for (const name of ['l1', 'l2', 'l3']) {
          const object = configMap(name, {}, namespace);
          object.metadata.labels = { 'rowkube.io/run': run };
          await client.apply(object, apply);
          expected.push(`${namespace}/${name}`);
        }
        const other = configMap('unlabelled', {}, namespace);
        other.metadata.labels = { 'rowkube.io/run': `${run}-other` };
        await client.apply(other, apply);
      }

      // A page size of 2 makes four requests for six objects: pagination is exercised.
      const listed = await client.list('v1', 'ConfigMap', selector, { pageSize: 2 });
      expect(listed.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual(expected.sort());
      for (const object of listed) expect([object.apiVersion, object.kind]).toEqual(['v1', 'ConfigMap']);
      expect(await client.list('v1', 'ConfigMap', `rowkube.io/run=${run}-none`)).toEqual([]);
    });

    it('knows which kinds are namespaced', async () => {
      expect(await client.isNamespaced('v1', 'Namespace')).toBe(false);
      expect(await client.isNamespaced('v1', 'ConfigMap')).toBe(true);
      expect(await client.isNamespaced('apps/v1', 'Deployment')).toBe(true);
      expect(await client.isNamespaced('rbac.authorization.k8s.io/v1', 'ClusterRole')).toBe(false);
    });
  });

  describe('watch', () => {
    it('streams the labelled objects changed after a list, bookmarks allowed, and ends quietly when stopped', async () => {
      const selector = `kc-watch=${run}`;
      const labelled = (name: string, data: Record<string, string>) => {
        const object = configMap(name, data);
        object.metadata.labels = { 'kc-watch': run };
        return object;
      };
      await client.apply(labelled('w-before', { n: '0' }), apply);
      const listed = await client.listVersioned('v1', 'ConfigMap', selector, { namespace: namespaceA });
      expect(listed.items.map((item) => item.metadata.name)).toEqual(['w-before']);
      expect(listed.resourceVersion).toMatch(/^\d+$/);
      const controller = new AbortController();
      const events = await client.watch('v1', 'ConfigMap', selector, {
        namespace: namespaceA,
        resourceVersion: listed.resourceVersion,
        timeoutSeconds: 60,
        signal: controller.signal,
      });
      await client.apply(configMap('w-unlabelled', { n: '1' }), apply);
      await client.apply(labelled('w-after', { n: '1' }), apply);
      await client.delete(ref('w-before'), { propagation: 'Background' });
      const seen: string[] = [];
      for await (const event of events) {
        if (event.type === 'BOOKMARK') continue;
        expect(event.object.kind).toBe('ConfigMap');
        seen.push(`${event.type} ${event.object.metadata.name}`);
        if (seen.length === 2) controller.abort();
      }
      expect(seen).toEqual(['ADDED w-after', 'DELETED w-before']);
    });

    it('says a resourceVersion that is too old is gone (410): list again', async () => {
      const failure = await client
        .watch('v1', 'ConfigMap', `kc-watch=${run}`, {
          namespace: namespaceA,
          resourceVersion: '1',
          timeoutSeconds: 10,
          signal: AbortSignal.timeout(10_000),
        })
        .then(async (events) => {
          for await (const _event of events) return undefined;
          return undefined;
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(WatchError);
      expect((failure as WatchError).gone).toBe(true);
    });
  });

  it('reports an API server that does not answer as retriable', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(env.kubeconfig);
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('the stack kubeconfig has no cluster');
    kubeConfig.clusters = [{ ...cluster, server: `https://127.0.0.1:${closedPort}` }];
    const unreachable = new KubeClient(kubeConfig);
    try {
      const failure = await failureOf(unreachable.get(ref('anything')));
      expect(failure.code).toBe(ErrorCode.KUBERNETES);
      expect(failure.retriable).toBe(true);
      expect(failure.status).toBeUndefined();
      expect(failure.message).toContain('did not answer');
      expect(failure.message).toContain('ECONNREFUSED');
    } finally {
      unreachable.close();
    }
  });
});
