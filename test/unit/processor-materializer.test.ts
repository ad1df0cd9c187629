import { describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/change-event.js';
import { formSchema } from '../../src/core/config/form-schema.js';
import { hubSchema } from '../../src/core/config/hub-schema.js';
import { Materializer, type NodeUpdate, type TableChange } from '../../src/processor/materializer/index.js';

const hub = hubSchema.parse({
  name: 'tenants',
  source: 'appdb',
  table: 'tenants',
  uid: 'tenant_id',
  activate: 'active',
  values: { domain: 'domain' },
  lookups: [{ name: 'features', table: 'feature_flags', key: 'tenant_id' }],
});

const form = formSchema.parse({
  name: 'web',
  hub: 'tenants',
  resources: [
    {
      id: 'config',
      manifest: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: '{{ uid }}-config' },
        data: { domain: '{{ domain }}', features: '{{ features | map: "flag" | join: "," }}' },
      },
    },
  ],
});

const config = { hubs: [hub], forms: [form] };

function tenant(id: string, extra: Row = {}): Row {
  return { id: `pk-${id}`, tenant_id: id, active: true, domain: `${id}.example.com`, note: 'n', ...extra };
}

function change(
  table: string,
  key: string,
  op: 'c' | 'u' | 'd' | 'r' | 't',
  after: Row | null,
  unchanged: string[] = [],
) {
  return { source: 'appdb', table, key, op, before: null, after, unchanged } satisfies TableChange;
}

const insert = (row: Row) => change('tenants', String(row.id), 'c', row);
const update = (row: Row, unchanged: string[] = []) => change('tenants', String(row.id), 'u', row, unchanged);
const flag = (pk: string, tenantId: string, name: string) =>
  change('feature_flags', pk, 'c', { id: pk, tenant_id: tenantId, flag: name });

/** id → what the desired record would be, in a compact form for assertions. */
function summary(updates: NodeUpdate[]) {
  return updates.map(({ id, result }) => {
    if (result.kind === 'node')
      return { id, data: (result.resources[0]?.manifest as { data?: unknown } | undefined)?.data };
    if (result.kind === 'absent') return { id, absent: result.reason };
    return { id, error: result.error.code };
  });
}

function seeded(...ids: string[]): Materializer {
  const materializer = new Materializer(config);
  for (const id of ids) materializer.apply(insert(tenant(id)));
  return materializer;
}

describe('Processor > materializer > hub rows', () => {
  it('an insert renders the node', () => {
    const updates = new Materializer(config).apply(insert(tenant('acme')));
    expect(summary(updates)).toEqual([
      { id: 'web/acme', data: { domain: 'acme.example.com', features: '' } },
    ]);
    expect(updates[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an update that changes nothing rendered yields no update', () => {
    const materializer = seeded('acme');
    expect(materializer.apply(update(tenant('acme', { note: 'changed, but no template uses it' })))).toEqual(
      [],
    );
  });

  it('an update that changes a rendered value re-renders the node', () => {
    const materializer = seeded('acme');
    const updates = materializer.apply(update(tenant('acme', { domain: 'acme.io' })));
    expect(summary(updates)).toEqual([{ id: 'web/acme', data: { domain: 'acme.io', features: '' } }]);
  });

  it('deactivating a row makes its node absent, and deleting it then yields nothing more', () => {
    const materializer = seeded('acme');
    expect(summary(materializer.apply(update(tenant('acme', { active: false }))))).toEqual([
      { id: 'web/acme', absent: 'inactive' },
    ]);
    expect(materializer.apply(change('tenants', 'pk-acme', 'd', null))).toEqual([]);
  });

  it('a delete makes the node absent once; a later tombstone of the key yields nothing', () => {
    const materializer = seeded('acme', 'globex');
    expect(summary(materializer.apply(change('tenants', 'pk-acme', 'd', null)))).toEqual([
      { id: 'web/acme', absent: 'deleted' },
    ]);
    expect(
      materializer.apply({ source: 'appdb', table: 'tenants', key: 'pk-acme', tombstone: true }),
    ).toEqual([]);
    expect(materializer.apply(change('tenants', 'pk-acme', 'd', null))).toEqual([]);
  });

  it('a truncate deletes every row of the table, hub rows and lookup rows alike', () => {
    const materializer = seeded('acme', 'globex');
    materializer.apply(flag('f1', 'acme', 'sso'));
    const truncate = (table: string) =>
      ({
        source: 'appdb',
        table,
        key: '{}',
        op: 't',
        before: null,
        after: null,
        unchanged: [],
      }) satisfies TableChange;
    // Emptying a lookup table re-renders the nodes that had rows in it.
    expect(summary(materializer.apply(truncate('feature_flags')))).toEqual([
      { id: 'web/acme', data: { domain: 'acme.example.com', features: '' } },
    ]);
    expect(summary(materializer.apply(truncate('tenants')))).toEqual([
      { id: 'web/acme', absent: 'deleted' },
      { id: 'web/globex', absent: 'deleted' },
    ]);
    expect(materializer.state.hubUids('tenants')).toEqual([]);
  });

  it('a tombstone alone deletes the row', () => {
    const materializer = seeded('acme');
    const updates = materializer.apply({ table: 'tenants', key: 'pk-acme', tombstone: true });
    expect(summary(updates)).toEqual([{ id: 'web/acme', absent: 'deleted' }]);
  });

  it('a uid change tombstones the old node and renders the new one, even without a before image', () => {
    const materializer = seeded('acme');
    const updates = materializer.apply(update({ ...tenant('acme-corp'), id: 'pk-acme' }));
    expect(summary(updates)).toEqual([
      { id: 'web/acme', absent: 'deleted' },
      { id: 'web/acme-corp', data: { domain: 'acme-corp.example.com', features: '' } },
    ]);
  });

  it('renders one node per form of the hub, and ignores tables and sources it does not capture', () => {
    const admin = formSchema.parse({ ...form, name: 'admin' });
    const materializer = new Materializer({ hubs: [hub], forms: [form, admin] });
    expect(materializer.apply(insert(tenant('acme'))).map((u) => u.id)).toEqual(['web/acme', 'admin/acme']);
    expect(materializer.apply(change('orders', '1', 'c', { id: 1, tenant_id: 'acme' }))).toEqual([]);
    expect(materializer.apply({ ...insert(tenant('globex')), source: 'otherdb' })).toEqual([]);
  });

  it('replaying the same change twice yields nothing the second time', () => {
    const materializer = new Materializer(config);
    const changes = [
      insert(tenant('acme')),
      flag('f1', 'acme', 'sso'),
      update(tenant('acme', { domain: 'a.io' })),
    ];
    for (const c of changes) expect(materializer.apply(c)).toHaveLength(1);
    for (const c of changes.slice(1)) expect(materializer.apply(c)).toEqual([]);
    // A snapshot read (op r) of the same row after a restart of the connector is a duplicate too.
    expect(materializer.apply({ ...update(tenant('acme', { domain: 'a.io' })), op: 'r' })).toEqual([]);
  });
});

describe('Processor > materializer > lookups', () => {
  it('a lookup insert, update and delete re-render only the matching tenant', () => {
    const materializer = seeded('acme', 'globex');
    expect(summary(materializer.apply(flag('f1', 'acme', 'sso')))).toEqual([
      { id: 'web/acme', data: { domain: 'acme.example.com', features: 'sso' } },
    ]);
    expect(summary(materializer.apply(flag('f2', 'acme', 'audit')))).toEqual([
      { id: 'web/acme', data: { domain: 'acme.example.com', features: 'audit,sso' } },
    ]);
    const renamed = change('feature_flags', 'f1', 'u', { id: 'f1', tenant_id: 'acme', flag: 'saml' });
    expect(summary(materializer.apply(renamed))).toEqual([
      { id: 'web/acme', data: { domain: 'acme.example.com', features: 'audit,saml' } },
    ]);
    expect(summary(materializer.apply(change('feature_flags', 'f2', 'd', null)))).toEqual([
      { id: 'web/acme', data: { domain: 'acme.example.com', features: 'saml' } },
    ]);
  });

  it('moving a lookup row to another tenant re-renders both', () => {
    const materializer = seeded('acme', 'globex', 'initech');
    materializer.apply(flag('f1', 'acme', 'sso'));
    const moved = change('feature_flags', 'f1', 'u', { id: 'f1', tenant_id: 'globex', flag: 'sso' });
    expect(summary(materializer.apply(moved))).toEqual([
      { id: 'web/acme', data: { domain: 'acme.example.com', features: '' } },
      { id: 'web/globex', data: { domain: 'globex.example.com', features: 'sso' } },
    ]);
  });

  it('a lookup row for a tenant without a hub row yields nothing, and joins when the tenant arrives', () => {
    const materializer = seeded('acme');
    expect(materializer.apply(flag('f1', 'hooli', 'sso'))).toEqual([]);
    expect(summary(materializer.apply(insert(tenant('hooli'))))).toEqual([
      { id: 'web/hooli', data: { domain: 'hooli.example.com', features: 'sso' } },
    ]);
  });

  it('matches a lookup key to the uid as text, whatever its column type', () => {
    const numeric = hubSchema.parse({ ...hub, uid: 'num' });
    const materializer = new Materializer({ hubs: [numeric], forms: [form] });
    materializer.apply(insert(tenant('acme', { num: 42n })));
    const updates = materializer.apply(
      change('feature_flags', 'f1', 'c', { id: 'f1', tenant_id: 42, flag: 'x' }),
    );
    expect(summary(updates)).toEqual([{ id: 'web/42', data: { domain: 'acme.example.com', features: 'x' } }]);
  });
});

describe('Processor > materializer > unchanged TOAST and errors', () => {
  it('fills an unchanged TOAST column from the stored row', () => {
    const materializer = seeded('acme');
    const updates = materializer.apply(update(tenant('acme', { domain: null, note: 'x' }), ['domain']));
    expect(updates).toEqual([]); // domain kept its value, so nothing rendered changed
    expect(materializer.state.hubRow('tenants', 'pk-acme')).toMatchObject({
      domain: 'acme.example.com',
      note: 'x',
    });
  });

  it('without a stored row the column is flagged, and the node is a row error rather than a rendered null', () => {
    const materializer = new Materializer(config);
    const outcome = materializer.state.apply(update(tenant('acme', { domain: null }), ['domain']));
    expect(outcome.unfilled).toEqual(['domain']);
    const updates = new Materializer(config).apply(update(tenant('acme', { domain: null }), ['domain']));
    expect(summary(updates)).toEqual([{ id: 'web/acme', error: 'ROWKUBE_ERR_ROW' }]);
  });

  it('a row that cannot render is an error for its node only', () => {
    const strict = formSchema.parse({
      ...form,
      resources: [
        {
          ...form.resources[0],
          manifest: { ...form.resources[0]?.manifest, data: { r: '{{ row.region }}' } },
        },
      ],
    });
    const materializer = new Materializer({ hubs: [hub], forms: [strict] });
    const ok = materializer.apply(insert(tenant('acme', { region: 'eu' })));
    const bad = materializer.apply(insert(tenant('globex'))); // no region column: a missing variable
    expect(summary(ok)).toEqual([{ id: 'web/acme', data: { r: 'eu' } }]);
    expect(summary(bad)).toEqual([{ id: 'web/globex', error: 'ROWKUBE_ERR_TEMPLATE' }]);
    expect(materializer.apply(insert(tenant('globex')))).toEqual([]); // the same error is not produced twice
    expect(summary(materializer.apply(insert(tenant('globex', { region: 'us' }))))).toEqual([
      { id: 'web/globex', data: { r: 'us' } },
    ]);
  });

  it('two rows with one uid make that node an error until one goes', () => {
    const materializer = seeded('acme');
    const twin = { ...tenant('acme'), id: 'pk-twin' };
    expect(summary(materializer.apply(insert(twin)))).toEqual([{ id: 'web/acme', error: 'ROWKUBE_ERR_ROW' }]);
    expect(summary(materializer.apply(change('tenants', 'pk-twin', 'd', null)))).toEqual([
      { id: 'web/acme', data: { domain: 'acme.example.com', features: '' } },
    ]);
  });
});

describe('Processor > materializer > take-over and reconcile', () => {
  it('produces only what differs from what the desired topic holds', () => {
    const before = seeded('acme', 'globex');
    const produced = new Map<string, string>();
    for (const id of ['acme', 'globex']) {
      const [update] = new Materializer(config).apply(insert(tenant(id)));
      if (update) produced.set(update.id, update.hash);
    }
    // A fresh instance with the same rows and what was produced: nothing to do.
    const fresh = new Materializer(config);
    for (const id of ['acme', 'globex']) fresh.apply(insert(tenant(id)), 'hub');
    fresh.seedProduced(produced);
    expect(fresh.reconcile()).toEqual([]);

    // One record is stale (say, the form changed): only that node is produced again.
    produced.set('web/globex', 'an older hash');
    const again = new Materializer(config);
    for (const id of ['acme', 'globex']) again.apply(insert(tenant(id)), 'hub');
    again.seedProduced(produced);
    expect(summary(again.reconcile())).toEqual([
      { id: 'web/globex', data: { domain: 'globex.example.com', features: '' } },
    ]);
    expect(before.reconcile()).toEqual([]);
  });

  it('at a take-over restores rows without rendering; reconcile renders each node once against the topic', () => {
    const produced = new Map<string, string>();
    for (const id of ['acme', 'globex']) {
      const [update] = new Materializer(config).apply(insert(tenant(id)));
      if (update) produced.set(update.id, update.hash);
    }
    const fresh = new Materializer(config);
    for (const id of ['acme', 'globex']) fresh.restoreHubRow(insert(tenant(id)));
    fresh.seedProduced(produced);
    expect(fresh.reconcile()).toEqual([]);

    // A live node the desired topic lacks is produced.
    const missing = new Materializer(config);
    for (const id of ['acme', 'globex']) missing.restoreHubRow(insert(tenant(id)));
    missing.seedProduced(new Map([...produced].filter(([id]) => id !== 'web/globex')));
    expect(summary(missing.reconcile())).toEqual([
      { id: 'web/globex', data: { domain: 'globex.example.com', features: '' } },
    ]);
  });

  it('keeps lookups when the hub rows are reset, and applies each role to its own tables', () => {
    const materializer = new Materializer(config);
    materializer.apply(flag('f1', 'acme', 'sso'), 'lookup');
    // A hub row arriving on the lookup role is not a hub row.
    expect(materializer.apply(insert(tenant('acme')), 'lookup')).toEqual([]);
    expect(summary(materializer.apply(insert(tenant('acme')), 'hub'))).toEqual([
      { id: 'web/acme', data: { domain: 'acme.example.com', features: 'sso' } },
    ]);
    materializer.resetHubs();
    expect(materializer.reconcile()).toEqual([]);
    // After the reset the same row renders again (nothing is remembered as produced), with its lookup.
    expect(summary(materializer.apply(insert(tenant('acme')), 'hub'))).toEqual([
      { id: 'web/acme', data: { domain: 'acme.example.com', features: 'sso' } },
    ]);
  });
});
