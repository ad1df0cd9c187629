import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/contracts/index.js';
import { formSchema } from '../../src/core/config/form-schema.js';
import { hubSchema } from '../../src/core/config/hub-schema.js';
import { type RenderedNode, renderNode } from '../../src/processor/render-node.js';

// forms[].cluster per node: the template over the node's variables gives a
// configured cluster name, or the node is an error naming the value and the
// clusters; a form without it renders exactly as before the field existed.
const hub = hubSchema.parse({
  name: 'tenants',
  source: 'appdb',
  table: 'tenants',
  uid: 'tenant_id',
  values: { shard: 'shard' },
});
const plain = formSchema.parse({
  name: 'web',
  hub: 'tenants',
  resources: [
    { id: 'ns', manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-{{ uid }}' } } },
  ],
});
const sharded = formSchema.parse({ ...plain, cluster: '{{ shard }}' });
const clusters = ['eu-1', 'eu-2'];

function render(form = sharded, shard: unknown = 'eu-2'): RenderedNode {
  return renderNode({ form, hub, row: { tenant_id: 'acme', shard }, lookups: new Map(), clusters });
}

describe('Processor > renderNode > cluster', () => {
  it("renders the node's cluster from its row", () => {
    expect(render()).toMatchObject({ kind: 'node', id: 'web/acme', cluster: 'eu-2' });
  });

  it('leaves the cluster out for a form without one: the same result and hash as before clusters', () => {
    const node = render(plain);
    expect(node).not.toHaveProperty('cluster');
    const withoutClusters = renderNode({
      form: plain,
      hub,
      row: { tenant_id: 'acme', shard: 'eu-2' },
      lookups: new Map(),
    });
    expect(contentHash(node)).toBe(contentHash(withoutClusters));
  });

  it('makes a node on another cluster a different content (the sink moves it)', () => {
    expect(contentHash(render(sharded, 'eu-1'))).not.toBe(contentHash(render(sharded, 'eu-2')));
  });

  it('stops the node when the value names no configured cluster, naming the value and the clusters', () => {
    const node = render(sharded, 'eu-3');
    expect(node.kind).toBe('error');
    if (node.kind !== 'error') return;
    expect(node.id).toBe('web/acme');
    expect(node.error.path).toBe('cluster');
    expect(node.error.message).toContain('"eu-3"');
    expect(node.error.message).toContain('clusters: eu-1, eu-2');
  });

  it('stops the node when the template cannot render for its row (a missing variable)', () => {
    const broken = formSchema.parse({ ...plain, cluster: '{{ region }}' });
    const node = render(broken);
    expect(node.kind).toBe('error');
    if (node.kind === 'error') expect(node.error.path).toBe('cluster');
  });
});
