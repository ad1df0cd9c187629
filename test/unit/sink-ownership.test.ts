import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RowkubeError } from '../../src/core/errors.js';
import { labelValue, qualifiedName } from '../../src/processor/render/index.js';
import {
  adoptionPatch,
  type Manifest,
  type NodeOwner,
  nodeLabelValue,
  nodeSelector,
  OrphanReason,
  orphanPatch,
  ownedManifest,
  ownerOf,
  ownerSelector,
  prefixLabelValue,
} from '../../src/sink/ownership/index.js';

const owner: NodeOwner = {
  prefix: 'rowkube',
  hub: 'tenants',
  form: 'web',
  nodeId: 'web/acme',
  resourceId: 'app',
};
const provenance = { position: '{"file":"bin.000003","pos":4711}', commitTsMs: 1_736_937_000_123n };

function deployment(metadata: object = {}): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'acme-app', ...metadata },
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } },
  };
}

function labelsOf(manifest: Manifest): Record<string, string> {
  return (manifest.metadata as { labels: Record<string, string> }).labels;
}

function annotationsOf(manifest: Manifest): Record<string, string> {
  return (manifest.metadata as { annotations: Record<string, string> }).annotations;
}

/** Every label is one Kubernetes accepts, checked with the processor's own naming rules. */
function expectValidLabels(manifest: Manifest): void {
  for (const [key, value] of Object.entries(labelsOf(manifest))) {
    expect(qualifiedName.problem(key), key).toBeUndefined();
    expect(labelValue.problem(value), `${key}=${value}`).toBeUndefined();
  }
}

describe('Sink > ownership > ownedManifest', () => {
  it('merges owner labels, owner and provenance annotations into a copy, keeping the manifest’s own', () => {
    const rendered = deployment({ labels: { app: 'acme' }, annotations: { team: 'blue' } });
    const before = structuredClone(rendered);
    const owned = ownedManifest(rendered, owner, provenance, { namespaced: true });

    expect(rendered).toEqual(before);
    expect(labelsOf(owned)).toEqual({
      app: 'acme',
      'app.kubernetes.io/managed-by': 'rowkube',
      'rowkube.io/prefix': 'rowkube',
      'rowkube.io/hub': 'tenants',
      'rowkube.io/form': 'web',
      'rowkube.io/node': createHash('sha1').update('web/acme').digest('hex'),
      'rowkube.io/resource': 'app',
    });
    expect(annotationsOf(owned)).toEqual({
      team: 'blue',
      'rowkube.io/prefix': 'rowkube',
      'rowkube.io/node-id': 'web/acme',
      'rowkube.io/source-position': '{"file":"bin.000003","pos":4711}',
      'rowkube.io/commit-time': '2025-01-15T10:30:00.123Z',
      'rowkube.io/content-hash': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(owned.spec).toEqual(rendered.spec);
    expectValidLabels(owned);
  });

  it('leaves provenance annotations out when the record has none (a tombstone-caused record)', () => {
    const owned = ownedManifest(
      deployment(),
      owner,
      { position: null, commitTsMs: null },
      { namespaced: true },
    );
    expect(Object.keys(annotationsOf(owned)).sort()).toEqual([
      'rowkube.io/content-hash',
      'rowkube.io/node-id',
      'rowkube.io/prefix',
    ]);
  });

  it('records the form version like provenance: outside the content hash', () => {
    const plain = ownedManifest(deployment(), owner, provenance, { namespaced: true });
    const versioned = ownedManifest(deployment(), owner, provenance, {
      namespaced: true,
      formVersion: '0123456789abcdef',
    });
    expect(annotationsOf(versioned)['rowkube.io/form-version']).toBe('0123456789abcdef');
    expect(annotationsOf(plain)['rowkube.io/form-version']).toBeUndefined();
    expect(annotationsOf(versioned)['rowkube.io/content-hash']).toBe(
      annotationsOf(plain)['rowkube.io/content-hash'],
    );
  });

  it('sets metadata.namespace from targetNamespace for a namespaced kind', () => {
    const owned = ownedManifest(deployment({ namespace: 'default' }), owner, provenance, {
      namespaced: true,
      targetNamespace: 'tenant-acme',
    });
    expect((owned.metadata as { namespace: string }).namespace).toBe('tenant-acme');
  });

  it('keeps the rendered namespace without a targetNamespace', () => {
    for (const targetNamespace of [undefined, null, '']) {
      const owned = ownedManifest(deployment({ namespace: 'shared' }), owner, provenance, {
        namespaced: true,
        targetNamespace,
      });
      expect((owned.metadata as { namespace: string }).namespace).toBe('shared');
    }
  });

  it('ignores targetNamespace for a cluster-scoped kind', () => {
    const clusterRole: Manifest = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
    };
    const owned = ownedManifest(clusterRole, owner, provenance, {
      namespaced: false,
      targetNamespace: 'tenant-acme',
    });
    expect(owned.metadata).not.toHaveProperty('namespace');
  });

  it('overwrites owner marks a rendered manifest sets itself, and drops every other rowkube.io/ key', () => {
    const hostile = deployment({
      labels: {
        'rowkube.io/node': nodeLabelValue('web/victim'),
        'rowkube.io/resource': 'db',
        'rowkube.io/orphaned': 'true',
        'app.kubernetes.io/managed-by': 'helm',
        'example.com/rowkube.io/node': 'kept',
      },
      annotations: { 'rowkube.io/node-id': 'web/victim', 'rowkube.io/anything': 'x', note: 'kept' },
    });
    const owned = ownedManifest(hostile, owner, provenance, { namespaced: true });
    const labels = labelsOf(owned);
    expect(labels['rowkube.io/node']).toBe(nodeLabelValue('web/acme'));
    expect(labels['rowkube.io/resource']).toBe('app');
    expect(labels['app.kubernetes.io/managed-by']).toBe('rowkube');
    expect(labels).not.toHaveProperty('rowkube.io/orphaned');
    expect(labels['example.com/rowkube.io/node']).toBe('kept');
    const annotations = annotationsOf(owned);
    expect(annotations['rowkube.io/node-id']).toBe('web/acme');
    expect(annotations).not.toHaveProperty('rowkube.io/anything');
    expect(annotations.note).toBe('kept');
    expect(ownerOf(owned)).toEqual(owner);
  });

  it('keeps every label valid for hostile uids: "/", unicode, 300 characters', () => {
    for (const uid of ['a/b/c', '../../etc', 'Zürich 🚀 東京', 'x'.repeat(300), ' ', '-leading-dash-']) {
      const hostileOwner = { ...owner, nodeId: `web/${uid}` };
      const owned = ownedManifest(deployment(), hostileOwner, provenance, { namespaced: true });
      expectValidLabels(owned);
      expect(labelsOf(owned)['rowkube.io/node']).toMatch(/^[0-9a-f]{40}$/);
      expect(annotationsOf(owned)['rowkube.io/node-id']).toBe(`web/${uid}`);
      expect(ownerOf(owned)).toEqual(hostileOwner);
    }
  });

  it('gives different nodes different node labels', () => {
    const ids = ['web/a', 'web/b', 'web/a/b', 'web/a b', 'api/a'];
    expect(new Set(ids.map(nodeLabelValue)).size).toBe(ids.length);
  });

  it('uses a prefix as its label when it is a valid label value, else its hash', () => {
    expect(prefixLabelValue('rowkube')).toBe('rowkube');
    expect(prefixLabelValue('prod.rowkube_2')).toBe('prod.rowkube_2');
    for (const prefix of ['_internal', 'ends.', 'p'.repeat(64)]) {
      expect(prefixLabelValue(prefix), prefix).toMatch(/^[0-9a-f]{40}$/);
      const owned = ownedManifest(deployment(), { ...owner, prefix }, provenance, { namespaced: true });
      expectValidLabels(owned);
      expect(ownerOf(owned)?.prefix).toBe(prefix);
    }
  });

  it('copies the manifest deeply, and keeps an own "__proto__" key of decoded JSON as a plain key', () => {
    const rendered = JSON.parse(
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"__proto__":"x","list":[{"a":1}]}}',
    ) as Manifest;
    const owned = ownedManifest(rendered, owner, provenance, { namespaced: true });
    const data = owned.data as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(['__proto__', 'list']);
    expect(Object.getOwnPropertyDescriptor(data, '__proto__')?.value).toBe('x');
    ((data.list as { a: number }[])[0] as { a: number }).a = 2;
    expect((rendered.data as { list: { a: number }[] }).list[0]?.a).toBe(1);
  });

  it('hashes the content without provenance, so only a content change changes the hash', () => {
    const hash = (manifest: Manifest, position: string) =>
      annotationsOf(ownedManifest(manifest, owner, { position, commitTsMs: 1n }, { namespaced: true }))[
        'rowkube.io/content-hash'
      ];
    const first = hash(deployment(), '{"pos":1}');
    expect(hash(deployment(), '{"pos":2}')).toBe(first);
    const scaled = deployment();
    (scaled.spec as { replicas: number }).replicas = 3;
    expect(hash(scaled, '{"pos":1}')).not.toBe(first);
    // Key order of the rendered manifest does not matter.
    const reordered: Manifest = {
      spec: deployment().spec,
      metadata: { name: 'acme-app' },
      kind: 'Deployment',
      apiVersion: 'apps/v1',
    };
    expect(hash(reordered, '{"pos":1}')).toBe(first);
  });

  it('refuses owners a configuration could not produce', () => {
    const cases: [Partial<NodeOwner>, string][] = [
      [{ hub: 'Tenants Hub' }, 'hub "Tenants Hub"'],
      [{ resourceId: '' }, 'resource id ""'],
      [{ nodeId: 'api/acme' }, 'not "<form>/<uid>"'],
      [{ nodeId: 'web/' }, 'not "<form>/<uid>"'],
      [{ prefix: '' }, 'prefix is empty'],
    ];
    for (const [change, message] of cases) {
      let error: unknown;
      try {
        ownedManifest(deployment(), { ...owner, ...change }, provenance, { namespaced: true });
      } catch (caught) {
        error = caught;
      }
      expect(error, message).toBeInstanceOf(RowkubeError);
      expect((error as RowkubeError).code).toBe('ROWKUBE_ERR_INVALID_NAME');
      expect((error as RowkubeError).message).toContain(message);
    }
  });
});

describe('Sink > ownership > ownerOf', () => {
  const owned = ownedManifest(deployment(), owner, provenance, { namespaced: true });

  function without(kind: 'labels' | 'annotations', key: string): Manifest {
    const copy = structuredClone(owned);
    delete (copy.metadata as Record<string, Record<string, string>>)[kind]?.[key];
    return copy;
  }

  function withMark(kind: 'labels' | 'annotations', key: string, value: unknown): Manifest {
    const copy = structuredClone(owned);
    (copy.metadata as Record<string, Record<string, unknown>>)[kind] = {
      ...(copy.metadata as Record<string, Record<string, unknown>>)[kind],
      [key]: value,
    };
    return copy;
  }

  it('reads back the owner of an object rowkube wrote', () => {
    expect(ownerOf(owned)).toEqual(owner);
  });

  it('says undefined for objects without rowkube’s marks', () => {
    expect(ownerOf(deployment({ labels: { app: 'acme' } }))).toBeUndefined();
    expect(ownerOf({ apiVersion: 'v1', kind: 'ConfigMap' })).toBeUndefined();
    expect(ownerOf({ metadata: null })).toBeUndefined();
    expect(ownerOf({ metadata: { labels: ['app.kubernetes.io/managed-by=rowkube'] } })).toBeUndefined();
  });

  it('says undefined when any one mark is missing', () => {
    for (const key of [
      'app.kubernetes.io/managed-by',
      'rowkube.io/prefix',
      'rowkube.io/hub',
      'rowkube.io/form',
      'rowkube.io/node',
      'rowkube.io/resource',
    ]) {
      expect(ownerOf(without('labels', key)), key).toBeUndefined();
    }
    for (const key of ['rowkube.io/node-id', 'rowkube.io/prefix']) {
      expect(ownerOf(without('annotations', key)), key).toBeUndefined();
    }
  });

  it('says undefined when the marks disagree with each other', () => {
    expect(ownerOf(withMark('labels', 'app.kubernetes.io/managed-by', 'helm'))).toBeUndefined();
    expect(ownerOf(withMark('annotations', 'rowkube.io/node-id', 'web/other'))).toBeUndefined();
    expect(ownerOf(withMark('labels', 'rowkube.io/node', nodeLabelValue('web/other')))).toBeUndefined();
    expect(ownerOf(withMark('annotations', 'rowkube.io/prefix', 'staging'))).toBeUndefined();
    expect(ownerOf(withMark('labels', 'rowkube.io/form', 'api'))).toBeUndefined();
    expect(ownerOf(withMark('labels', 'rowkube.io/hub', 42))).toBeUndefined();
  });

  it('does not need the provenance annotations', () => {
    const bare = without('annotations', 'rowkube.io/source-position');
    delete (bare.metadata as { annotations: Record<string, string> }).annotations['rowkube.io/content-hash'];
    expect(ownerOf(bare)).toEqual(owner);
  });
});

describe('Sink > ownership > selectors', () => {
  it('selects an installation and a node by label', () => {
    expect(ownerSelector('rowkube')).toBe('app.kubernetes.io/managed-by=rowkube,rowkube.io/prefix=rowkube');
    expect(nodeSelector('rowkube', 'web/acme')).toBe(
      `app.kubernetes.io/managed-by=rowkube,rowkube.io/prefix=rowkube,rowkube.io/node=${nodeLabelValue('web/acme')}`,
    );
  });

  it('selects exactly the labels ownedManifest writes, whatever the prefix and uid', () => {
    const hostile = { ...owner, prefix: '_odd.prefix-', nodeId: 'web/Zürich/🚀' };
    const labels = labelsOf(ownedManifest(deployment(), hostile, provenance, { namespaced: true }));
    for (const term of nodeSelector(hostile.prefix, hostile.nodeId).split(',')) {
      const [key, value] = term.split('=') as [string, string];
      expect(labels[key], key).toBe(value);
    }
  });
});

describe('Sink > ownership > orphan and adoption patches', () => {
  const at = new Date('2025-01-15T10:30:00Z');

  it('removes every owner mark and adds the orphan markers', () => {
    expect(orphanPatch(OrphanReason.nodeDeleted, at)).toEqual({
      metadata: {
        labels: {
          'app.kubernetes.io/managed-by': null,
          'rowkube.io/prefix': null,
          'rowkube.io/hub': null,
          'rowkube.io/form': null,
          'rowkube.io/node': null,
          'rowkube.io/resource': null,
          'rowkube.io/orphaned': 'true',
        },
        annotations: {
          'rowkube.io/prefix': null,
          'rowkube.io/node-id': null,
          'rowkube.io/source-position': null,
          'rowkube.io/commit-time': null,
          'rowkube.io/content-hash': null,
          'rowkube.io/deletion-policy': null,
          'rowkube.io/form-version': null,
          'rowkube.io/orphaned-at': '2025-01-15T10:30:00.000Z',
          'rowkube.io/orphaned-reason': 'NodeDeleted',
        },
      },
    });
  });

  it('leaves an object that ownerOf no longer claims, with only the manifest’s own marks', () => {
    const owned = ownedManifest(
      deployment({ labels: { app: 'acme' }, annotations: { team: 'blue' } }),
      owner,
      provenance,
      {
        namespaced: true,
      },
    );
    const orphaned = mergePatch(owned, orphanPatch(OrphanReason.removedFromForm, at)) as Manifest;
    expect(ownerOf(orphaned)).toBeUndefined();
    expect(labelsOf(orphaned)).toEqual({ app: 'acme', 'rowkube.io/orphaned': 'true' });
    expect(annotationsOf(orphaned)).toEqual({
      team: 'blue',
      'rowkube.io/orphaned-at': '2025-01-15T10:30:00.000Z',
      'rowkube.io/orphaned-reason': 'RemovedFromForm',
    });
  });

  it('adoption removes the orphan markers only', () => {
    const orphaned = mergePatch(
      deployment({ labels: { app: 'acme' } }),
      orphanPatch('manual', at),
    ) as Manifest;
    const readopted = mergePatch(
      mergePatch(orphaned, {
        metadata: { labels: labelsOf(ownedManifest(deployment(), owner, provenance, { namespaced: true })) },
      }),
      adoptionPatch(),
    ) as Manifest;
    expect(labelsOf(readopted)).not.toHaveProperty('rowkube.io/orphaned');
    expect(labelsOf(readopted)['rowkube.io/node']).toBe(nodeLabelValue('web/acme'));
    expect(annotationsOf(readopted)).toEqual({});
  });
});

/** RFC 7386 JSON merge patch, as the API server applies it. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
