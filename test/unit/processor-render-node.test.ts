import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/contracts/index.js';
import { formSchema } from '../../src/core/config/form-schema.js';
import { hubSchema } from '../../src/core/config/hub-schema.js';
import { type RenderedNode, renderNode } from '../../src/processor/render-node.js';

const hub = hubSchema.parse({
  name: 'tenants',
  source: 'appdb',
  table: 'tenants',
  uid: 'tenant_id',
  activate: 'active',
  values: { domain: 'domain', plan: 'plan', replicas: 'replicas' },
  filter: "plan != 'free'",
  lookups: [{ name: 'features', table: 'feature_flags', key: 'tenant_id' }],
});

const form = formSchema.parse({
  name: 'web',
  hub: 'tenants',
  resources: [
    {
      id: 'ns',
      manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-{{ uid }}' } },
      deletionPolicy: 'Retain',
    },
    {
      id: 'config',
      dependIds: ['ns'],
      targetNamespace: 'tenant-{{ uid }}',
      manifest: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: '{{ uid }}-config' },
        data: { domain: '{{ domain }}', features: '{{ features | map: "flag" | join: "," }}' },
      },
    },
    {
      id: 'app',
      dependIds: ['ns', 'config'],
      waitForReady: true,
      timeoutSeconds: 120,
      skipOnDependencyFailure: false,
      creationPolicy: 'Once',
      conflictPolicy: 'Force',
      ignoreFields: ['spec.replicas'],
      manifest: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: '{{ uid }}-app', namespace: 'tenant-{{ uid }}' },
        spec: { replicas: '{{ replicas | to_int }}' },
      },
    },
  ],
});

const row = { tenant_id: 'acme', active: 1, domain: 'acme.example.com', plan: 'pro', replicas: 3n };
const lookups = new Map([['features', [{ tenant_id: 'acme', flag: 'sso' }]]]);

function render(overrides: Record<string, unknown> = {}, formOverride = form): RenderedNode {
  return renderNode({ form: formOverride, hub, row: { ...row, ...overrides }, lookups });
}

function errorOf(node: RenderedNode) {
  if (node.kind !== 'error') throw new Error(`expected an error, got ${node.kind}`);
  return node;
}

describe('Processor > renderNode', () => {
  it('renders an active row into resources with their policies', () => {
    expect(render()).toEqual({
      kind: 'node',
      id: 'web/acme',
      resources: [
        {
          id: 'ns',
          manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-acme' } },
          dependIds: [],
          waitForReady: false,
          timeoutSeconds: 300,
          skipOnDependencyFailure: true,
          creationPolicy: 'WhenNeeded',
          deletionPolicy: 'Retain',
          conflictPolicy: 'Stuck',
          ignoreFields: [],
        },
        {
          id: 'config',
          manifest: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'acme-config' },
            data: { domain: 'acme.example.com', features: 'sso' },
          },
          dependIds: ['ns'],
          waitForReady: false,
          timeoutSeconds: 300,
          skipOnDependencyFailure: true,
          creationPolicy: 'WhenNeeded',
          deletionPolicy: 'Delete',
          conflictPolicy: 'Stuck',
          targetNamespace: 'tenant-acme',
          ignoreFields: [],
        },
        {
          id: 'app',
          manifest: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'acme-app', namespace: 'tenant-acme' },
            spec: { replicas: 3 },
          },
          dependIds: ['ns', 'config'],
          waitForReady: true,
          timeoutSeconds: 120,
          skipOnDependencyFailure: false,
          creationPolicy: 'Once',
          deletionPolicy: 'Delete',
          conflictPolicy: 'Force',
          ignoreFields: ['spec.replicas'],
        },
      ],
    });
  });

  it('is deterministic and shares nothing with the configuration', () => {
    const first = render();
    const second = render();
    expect(second).toEqual(first);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    if (first.kind !== 'node') throw new Error('not a node');
    first.resources[2]?.dependIds.push('x');
    expect(form.resources[2]?.dependIds).toEqual(['ns', 'config']);
  });

  it.each([0, '0', 'no', null])('an inactive row (active = %s) is absent', (active) => {
    expect(render({ active })).toEqual({ kind: 'absent', id: 'web/acme', reason: 'inactive' });
  });

  it('a row the filter rejects is absent', () => {
    expect(render({ plan: 'free' })).toEqual({ kind: 'absent', id: 'web/acme', reason: 'filtered' });
  });

  it('every row is active when the hub has no activate column', () => {
    const { activate: _activate, ...always } = hub;
    const node = renderNode({ form, hub: always, row: { ...row, active: 0 }, lookups });
    expect(node.kind).toBe('node');
  });

  it('a missing activate column is an error, not a reason to delete the node', () => {
    const { active: _active, ...withoutActive } = row;
    const node = renderNode({ form, hub, row: withoutActive, lookups });
    expect(errorOf(node).error.code).toBe('ROWKUBE_ERR_CONFIG');
  });

  it('a filter error makes an error record naming the form', () => {
    const node = renderNode({ form, hub: { ...hub, filter: "plan_typo != 'free'" }, row, lookups });
    const { id, error } = errorOf(node);
    expect(id).toBe('web/acme');
    expect(error.code).toBe('ROWKUBE_ERR_TEMPLATE');
    expect(error.message).toContain("form 'web' hub 'tenants'");
  });

  it('a missing variable is ROWKUBE_ERR_TEMPLATE naming the form, resource and leaf', () => {
    const broken = formSchema.parse({
      ...form,
      resources: [
        ...form.resources,
        {
          id: 'extra',
          manifest: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'x' },
            data: { a: '{{ nope }}' },
          },
        },
      ],
    });
    const { id, error } = errorOf(render({}, broken));
    expect(id).toBe('web/acme');
    expect(error.code).toBe('ROWKUBE_ERR_TEMPLATE');
    expect(error.resourceId).toBe('extra');
    expect(error.path).toBe('data.a');
    expect(error.message).toContain("form 'web' resource 'extra'");
  });

  it('a row value that makes an invalid name is ROWKUBE_ERR_INVALID_NAME', () => {
    const { id, error } = errorOf(render({ tenant_id: 'Bad_Name' }));
    expect(id).toBe('web/Bad_Name');
    expect(error.code).toBe('ROWKUBE_ERR_INVALID_NAME');
    expect(error.resourceId).toBe('ns');
    expect(error.path).toBe('metadata.name');
  });

  it('checks a rendered targetNamespace as a namespace name', () => {
    const tooLong = formSchema.parse({
      ...form,
      resources: [{ ...form.resources[1], dependIds: [], targetNamespace: '{{ domain }}' }],
    });
    const { error } = errorOf(render({}, tooLong));
    expect(error.code).toBe('ROWKUBE_ERR_INVALID_NAME');
    expect(error.path).toBe('targetNamespace');
    expect(error.resourceId).toBe('config');
  });

  it('a row without a uid is an error without a node id', () => {
    const node = errorOf(render({ tenant_id: null }));
    expect(node.id).toBeNull();
    expect(node.error.code).toBe('ROWKUBE_ERR_ROW');
    expect(node.error.message).toContain("form 'web'");
  });

  it('a hostile value stays one string in one leaf', () => {
    const node = render({ domain: 'x\nkind: ClusterRole' });
    if (node.kind !== 'node') throw new Error(node.kind === 'error' ? node.error.message : node.kind);
    const config = node.resources[1]?.manifest;
    expect(config?.kind).toBe('ConfigMap');
    expect(config?.data).toEqual({ domain: 'x\nkind: ClusterRole', features: 'sso' });
  });
});

describe('Processor > contentHash', () => {
  it('is the same whatever the key order', () => {
    const a = {
      kind: 'node',
      id: 'web/acme',
      resources: [{ id: 'ns', manifest: { b: 1, a: { y: 2, x: [1, 'z'] } } }],
    };
    const b = {
      resources: [{ manifest: { a: { x: [1, 'z'], y: 2 }, b: 1 }, id: 'ns' }],
      id: 'web/acme',
      kind: 'node',
    };
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable across renders and changes with a value', () => {
    expect(contentHash(render())).toBe(contentHash(render()));
    expect(contentHash(render({ domain: 'acme.example.org' }))).not.toBe(contentHash(render()));
    expect(contentHash(render({ replicas: 4n }))).not.toBe(contentHash(render()));
  });

  it('tells an absent node from an error and from a present one', () => {
    const hashes = new Set(
      [render(), render({ active: 0 }), render({ plan: 'free' }), render({ tenant_id: 'Bad_Name' })].map(
        contentHash,
      ),
    );
    expect(hashes.size).toBe(4);
  });

  it('refuses values that have no JSON form', () => {
    expect(() => contentHash({ n: 1n })).toThrow(TypeError);
    expect(() => contentHash({ b: Buffer.from('x') })).toThrow(TypeError);
    expect(() => contentHash({ n: Number.NaN })).toThrow(TypeError);
  });
});
