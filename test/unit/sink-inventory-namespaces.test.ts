import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/load-config.js';
import { Inventory } from '../../src/sink/inventory.js';
import type { KubeApi, ListOptions } from '../../src/sink/kube/index.js';
import { literalNamespaces } from '../../src/sink/ownership/index.js';
import { RequestLimiter } from '../../src/sink/runner/request-limiter.js';

// With allowedNamespaces named literally, the inventory is listed namespace by
// namespace, so a Role in each namespace is all the sink needs (docs/rbac.md).

const forms = parseConfig(
  `
kafka: { brokers: [127.0.0.1:9092], topicPrefix: rk }
sources: [{ name: appdb, mysql: { url: "mysql://cdc:pw@127.0.0.1:3306/app" }, tables: [tenants] }]
hubs: [{ name: tenants, source: appdb, table: tenants, uid: tenant_id }]
forms:
  - name: web
    hub: tenants
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "tenant-{{ uid }}" } }
      - id: cm
        manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: cfg, namespace: "tenant-{{ uid }}" } }
`,
  'rowkube.yaml',
  {},
).forms;

function recordingKube(calls: string[]): KubeApi {
  const unused = () => Promise.reject(new Error('not used by the inventory'));
  return {
    apply: unused,
    applyReporting: unused,
    get: unused,
    delete: unused,
    mergePatch: unused,
    async list(_apiVersion: string, kind: string, _selector: string, options: ListOptions = {}) {
      calls.push(`${kind} in ${options.namespace ?? '(all)'}`);
      return [];
    },
    async isNamespaced(_apiVersion: string, kind: string) {
      return kind !== 'Namespace';
    },
  };
}

describe('Sink > Inventory > seed by namespace', () => {
  it('lists namespaced kinds in each literal namespace, cluster-scoped kinds once', async () => {
    const calls: string[] = [];
    await new Inventory().seed(recordingKube(calls), new RequestLimiter(4), 'rk', forms, new Map(), [
      'tenant-a',
      'tenant-b',
    ]);
    expect(calls).toEqual(['Namespace in (all)', 'ConfigMap in tenant-a', 'ConfigMap in tenant-b']);
  });

  it('lists across the cluster without literal namespaces', async () => {
    const calls: string[] = [];
    await new Inventory().seed(recordingKube(calls), new RequestLimiter(4), 'rk', forms, new Map());
    expect(calls).toEqual(['Namespace in (all)', 'ConfigMap in (all)']);
  });

  it('takes allowedNamespaces as literal only without a wildcard', () => {
    expect(literalNamespaces(['tenant-a', 'tenant-b', 'tenant-a'])).toEqual(['tenant-a', 'tenant-b']);
    expect(literalNamespaces(['tenant-a', 'tenant-*'])).toBeUndefined();
    expect(literalNamespaces(['*'])).toBeUndefined();
    expect(literalNamespaces([])).toEqual([]);
  });
});

describe('sink > inventory > lines', () => {
  it('gives back each object as added, in order, a re-add replacing it in place', () => {
    const inventory = new Inventory();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' };
    const namespace = { apiVersion: 'v1', kind: 'Namespace', name: 'ns' };
    const crd = { apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'ns', name: 'w' };
    inventory.add('f/1', { ref: cm, resourceId: 'config', deletionPolicy: 'Delete' });
    inventory.add('f/1', { ref: namespace, resourceId: 'ns\twith a tab', deletionPolicy: 'Retain' });
    inventory.add('f/1', { ref: crd, resourceId: 'w', deletionPolicy: 'Delete' });
    inventory.add('f/1', { ref: cm, resourceId: 'config', deletionPolicy: 'Retain' });
    expect(inventory.objectsOf('f/1')).toEqual([
      { ref: cm, resourceId: 'config', deletionPolicy: 'Retain' },
      { ref: namespace, resourceId: 'ns\twith a tab', deletionPolicy: 'Retain' },
      { ref: crd, resourceId: 'w', deletionPolicy: 'Delete' },
    ]);
    inventory.remove('f/1', namespace);
    inventory.remove('f/1', cm);
    inventory.remove('f/1', crd);
    expect(inventory.nodes()).toEqual([]);
  });
});
