import { describe, expect, it } from 'vitest';
import type { DesiredValue } from '../../src/contracts/index.js';
import { LatestByKey } from '../../src/kafka/compacted-topic.js';
import { nodeTargets } from '../../src/plan/node-renders.js';
import { Materializer, type TableChange } from '../../src/processor/materializer/index.js';
import { configFrom } from '../../support/config-file.js';

// Which nodes a plan looks at, and what the new configuration makes of each:
// rendered from the rows, absent (and why), or the processor's error.

const config = configFrom({
  kafka: { brokers: ['127.0.0.1:9092'], topicPrefix: 'rk' },
  sources: [{ name: 'appdb', mysql: { url: 'mysql://u:p@h/app' }, tables: ['tenants'] }],
  hubs: [
    {
      name: 'tenants',
      source: 'appdb',
      table: 'tenants',
      uid: 'id',
      activate: 'active',
      values: { plan: 'plan' },
    },
  ],
  forms: [
    {
      name: 'web',
      hub: 'tenants',
      resources: [
        {
          id: 'config',
          manifest: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'c-{{ uid }}', namespace: 'n', labels: { plan: '{{ plan }}' } },
          },
        },
      ],
    },
  ],
});

const row = (id: string, active: boolean, plan = 'basic'): TableChange => ({
  source: 'appdb',
  table: 'tenants',
  key: JSON.stringify(id),
  op: 'c',
  before: null,
  after: { id, active, plan },
  unchanged: [],
});

function record(id: string, form = 'web'): DesiredValue {
  const uid = id.slice(id.indexOf('/') + 1);
  return {
    id,
    form,
    hub: 'tenants',
    uid,
    resources: [],
    error: null,
    contentHash: 'old',
    provenance: {
      source: 'appdb',
      table: 'tenants',
      position: '{"pos":4}',
      commitTsMs: 7n,
      primaryKey: `"${uid}"`,
    },
    formVersion: 'v0',
  };
}

describe('Plan > nodeTargets', () => {
  it('renders every row, and finds the nodes that would go', () => {
    const materializer = new Materializer(config);
    for (const change of [
      row('new', true),
      row('kept', true),
      row('off', false),
      row('bad', true, 'Gold Plan'),
    ])
      materializer.state.apply(change);
    const desired = new LatestByKey<DesiredValue>();
    for (const id of ['web/kept', 'web/off', 'web/gone', 'old/x'])
      desired.offer({ key: id, value: record(id, id.split('/')[0]), timestampMs: 0 });

    const targets = nodeTargets(config, materializer, desired);
    const byId = new Map(targets.map((target) => [target.id, target]));
    expect([...byId.keys()]).toEqual(['old/x', 'web/bad', 'web/gone', 'web/kept', 'web/new', 'web/off']);

    expect(byId.get('web/new')?.current).toBeUndefined();
    const fresh = byId.get('web/new')?.next;
    expect(fresh?.kind).toBe('node');
    if (fresh?.kind === 'node') {
      expect(JSON.parse(fresh.value.resources[0]?.manifest ?? '{}').metadata.name).toBe('c-new');
      // A node the desired topic does not hold names its row, without a position.
      expect(fresh.value.provenance).toEqual({
        source: 'appdb',
        table: 'tenants',
        position: null,
        commitTsMs: null,
        primaryKey: '"new"',
      });
    }
    const kept = byId.get('web/kept')?.next;
    // A node it holds keeps its provenance, so the provenance marks do not show as changes.
    expect(kept?.kind === 'node' && kept.value.provenance.position).toBe('{"pos":4}');
    expect(byId.get('web/off')?.next).toEqual({ kind: 'absent', reason: 'inactive' });
    expect(byId.get('web/gone')?.next).toEqual({ kind: 'absent', reason: 'deleted' });
    expect(byId.get('old/x')?.next).toEqual({ kind: 'absent', reason: 'form removed' });
    const bad = byId.get('web/bad')?.next;
    expect(bad?.kind).toBe('error');
    expect(bad?.kind === 'error' && bad.message).toMatch(/^ROWKUBE_ERR_INVALID_NAME: .*Gold Plan/);
  });
});
