import { describe, expect, it } from 'vitest';
import { type DesiredValue, inputTopics, type Provenance } from '../../src/contracts/index.js';
import { formSchema } from '../../src/core/config/form-schema.js';
import { hubSchema } from '../../src/core/config/hub-schema.js';
import {
  DESIRED_KEY_SCHEMA,
  DESIRED_VALUE_SCHEMA,
  KEY_SCHEMA_HEADER,
  SchemaCodec,
  VALUE_SCHEMA_HEADER,
} from '../../src/kafka/index.js';
import { encodeDesired } from '../../src/processor/desired/index.js';
import { Materializer } from '../../src/processor/materializer/index.js';

const hub = hubSchema.parse({
  name: 'tenants',
  source: 'appdb',
  table: 'tenants',
  uid: 'tenant_id',
  activate: 'active',
  values: { plan: 'plan' },
  lookups: [{ name: 'features', table: 'feature_flags', key: 'tenant_id' }],
});
const form = formSchema.parse({
  name: 'web',
  hub: 'tenants',
  resources: [
    { id: 'ns', manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-{{ uid }}' } } },
    {
      id: 'config',
      dependIds: ['ns'],
      targetNamespace: 'tenant-{{ uid }}',
      manifest: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cfg' },
        data: { plan: '{{ plan }}' },
      },
    },
  ],
});
const provenance: Provenance = {
  source: 'appdb',
  table: 'tenants',
  position: '{"file":"bin.000001","pos":42}',
  commitTsMs: 1_700_000_000_000n,
  primaryKey: '{"tenant_id":"acme"}',
  capturedAtMs: 1_700_000_000_030n,
  changeSeenAtMs: 1_700_000_000_050n,
};
const keyCodec = SchemaCodec.fromText(DESIRED_KEY_SCHEMA.text);
const valueCodec = SchemaCodec.fromText(DESIRED_VALUE_SCHEMA.text);

function apply(materializer: Materializer, row: Record<string, unknown>, op: 'c' | 'u' = 'c') {
  return materializer.apply({
    source: 'appdb',
    table: 'tenants',
    key: String(row.tenant_id),
    op,
    before: null,
    after: row,
    unchanged: [],
  });
}

describe('processor > desired records', () => {
  it('encodes a rendered node: key = node id, value = resources, policies and provenance', () => {
    const m = new Materializer({ hubs: [hub], forms: [form] });
    const [update] = apply(m, { tenant_id: 'acme', plan: 'gold', active: 1 });
    if (update === undefined) throw new Error('no update');
    const { message, schemas } = encodeDesired('rk.desired', update, [form], provenance);
    expect(schemas.map((s) => s.id)).toEqual([DESIRED_KEY_SCHEMA.id, DESIRED_VALUE_SCHEMA.id]);
    expect(message.headers).toEqual({
      [KEY_SCHEMA_HEADER]: DESIRED_KEY_SCHEMA.id,
      [VALUE_SCHEMA_HEADER]: DESIRED_VALUE_SCHEMA.id,
    });
    expect(keyCodec.decode(message.key)).toBe('web/acme');
    const value = valueCodec.decode(message.value as Buffer) as DesiredValue;
    expect(value).toMatchObject({ id: 'web/acme', form: 'web', hub: 'tenants', uid: 'acme', error: null });
    expect(value.contentHash).toBe(update.hash);
    expect(value.provenance).toEqual(provenance);
    expect(
      value.resources.map((r) => [r.id, JSON.parse(r.manifest), r.targetNamespace, r.dependIds]),
    ).toEqual([
      ['ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-acme' } }, null, []],
      [
        'config',
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { plan: 'gold' } },
        'tenant-acme',
        ['ns'],
      ],
    ]);
    expect(value.resources[1]).toMatchObject({ creationPolicy: 'WhenNeeded', deletionPolicy: 'Delete' });
  });

  it('carries recreatePolicy from the form to the sink, Never unless set', () => {
    const recreating = formSchema.parse({
      ...form,
      resources: form.resources.map((r) =>
        r.id === 'config' ? { ...r, recreatePolicy: 'OnImmutableChange' } : r,
      ),
    });
    const m = new Materializer({ hubs: [hub], forms: [recreating] });
    const [update] = apply(m, { tenant_id: 'acme', plan: 'gold', active: 1 });
    if (update === undefined) throw new Error('no update');
    const value = valueCodec.decode(
      encodeDesired('rk.desired', update, [recreating], provenance).message.value as Buffer,
    ) as DesiredValue;
    expect(value.resources.map((r) => [r.id, r.recreatePolicy])).toEqual([
      ['ns', 'Never'],
      ['config', 'OnImmutableChange'],
    ]);
  });

  it('encodes an absent node as a tombstone', () => {
    const m = new Materializer({ hubs: [hub], forms: [form] });
    apply(m, { tenant_id: 'acme', plan: 'gold', active: 1 });
    const [update] = apply(m, { tenant_id: 'acme', plan: 'gold', active: 0 }, 'u');
    if (update === undefined) throw new Error('no update');
    const { message, schemas } = encodeDesired('rk.desired', update, [form], provenance);
    expect(message.value).toBeNull();
    expect(keyCodec.decode(message.key)).toBe('web/acme');
    expect(schemas).toEqual([DESIRED_KEY_SCHEMA]);
  });

  it('encodes a node whose row does not render as an error record', () => {
    const m = new Materializer({ hubs: [hub], forms: [form] });
    const [update] = apply(m, { tenant_id: 'Bad_Tenant', plan: 'gold', active: 1 });
    if (update === undefined) throw new Error('no update');
    const value = valueCodec.decode(
      encodeDesired('rk.desired', update, [form], provenance).message.value as Buffer,
    );
    expect(value).toMatchObject({ id: 'web/Bad_Tenant', resources: [], error: { resourceId: 'ns' } });
  });

  it('reads the change topics of every hub table and lookup table once, knowing their role', () => {
    expect(inputTopics('rk', [hub, { ...hub, name: 'other' }])).toEqual([
      { topic: 'rk.appdb.tenants', source: 'appdb', table: 'tenants', hub: true, lookup: false },
      { topic: 'rk.appdb.feature_flags', source: 'appdb', table: 'feature_flags', hub: false, lookup: true },
    ]);
    expect(inputTopics('rk', [{ ...hub, table: 'crm.accounts', lookups: [] }])).toEqual([
      { topic: 'rk.appdb.crm.accounts', source: 'appdb', table: 'crm.accounts', hub: true, lookup: false },
    ]);
    // One table that is a hub of its own and a lookup of another hub has both roles.
    const both = inputTopics('rk', [hub, { ...hub, name: 'flags', table: 'feature_flags', lookups: [] }]);
    expect(both.find((input) => input.table === 'feature_flags')).toMatchObject({ hub: true, lookup: true });
  });
});
