import { describe, expect, it } from 'vitest';
import { UNCHANGED_TOAST } from '../../src/core/change-event.js';
import { type HubConfig, hubSchema } from '../../src/core/config/hub-schema.js';
import { nodeVariables } from '../../src/processor/node-variables.js';

const hub = hubSchema.parse({
  name: 'tenants',
  source: 'appdb',
  table: 'tenants',
  uid: 'tenant_id',
  activate: 'active',
  values: { plan: 'plan', big: 'counter', logo: 'logo_png' },
  lookups: [{ name: 'features', table: 'feature_flags', key: 'tenant_id' }],
});

const row = {
  tenant_id: 'acme',
  active: 1,
  plan: 'pro',
  counter: 9007199254740993n, // 2^53 + 1: a number would round it
  small: 42n,
  logo_png: Buffer.from([0xff, 0x00, 0x10]),
  price: '12.3400',
  note: null,
};

function ok(result: ReturnType<typeof nodeVariables>) {
  if (!result.ok) throw new Error(result.error.message);
  return result;
}

describe('Processor > nodeVariables', () => {
  it('exposes uid, the whole row, values and lookups as plain JSON data', () => {
    const { uid, variables } = ok(nodeVariables(hub, row, new Map()));
    expect(uid).toBe('acme');
    expect(variables).toEqual({
      uid: 'acme',
      row: {
        tenant_id: 'acme',
        active: 1,
        plan: 'pro',
        counter: '9007199254740993',
        small: 42,
        logo_png: '/wAQ',
        price: '12.3400',
        note: null,
      },
      plan: 'pro',
      big: '9007199254740993',
      logo: '/wAQ',
      features: [],
    });
    // Plain data end to end: JSON round-trips it unchanged.
    expect(JSON.parse(JSON.stringify(variables))).toEqual(variables);
  });

  it('converts a bigint uid to its decimal text, small or beyond 2^53', () => {
    const numeric = { ...hub, values: {}, lookups: [] };
    expect(ok(nodeVariables(numeric, { tenant_id: 7n }, new Map())).uid).toBe('7');
    expect(ok(nodeVariables(numeric, { tenant_id: 18446744073709551615n }, new Map())).uid).toBe(
      '18446744073709551615',
    );
    expect(ok(nodeVariables(numeric, { tenant_id: 12 }, new Map())).uid).toBe('12');
  });

  it('lists lookup rows converted and in an order independent of arrival', () => {
    const a = { tenant_id: 'acme', flag: 'sso', id: 2n, blob: Buffer.from('x') };
    const b = { tenant_id: 'acme', flag: 'audit', id: 1n, blob: null };
    const first = ok(nodeVariables(hub, row, new Map([['features', [a, b]]])));
    const second = ok(nodeVariables(hub, row, new Map([['features', [b, a]]])));
    expect(first.variables.features).toEqual(second.variables.features);
    // By canonical JSON text (keys sorted, so "blob" decides here: '"eA=="' < 'null').
    expect(first.variables.features).toEqual([
      { tenant_id: 'acme', flag: 'sso', id: 2, blob: 'eA==' },
      { tenant_id: 'acme', flag: 'audit', id: 1, blob: null },
    ]);
  });

  it('ignores lookups the hub does not configure', () => {
    const { variables } = ok(nodeVariables(hub, row, new Map([['other', [{ x: 1 }]]])));
    expect(variables).not.toHaveProperty('other');
  });

  it.each([null, '', '   ', undefined])('refuses a uid of %j: the node would have no id', (uid) => {
    const result = nodeVariables(hub, { ...row, tenant_id: uid }, new Map());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('ROWKUBE_ERR_ROW');
    expect(result.error.message).toContain("uid column 'tenant_id'");
  });

  it('refuses a row without a configured column instead of reading it as null', () => {
    const { plan: _plan, ...withoutPlan } = row;
    const result = nodeVariables(hub, withoutPlan, new Map());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('ROWKUBE_ERR_CONFIG');
    expect(result.error.message).toContain("no column 'plan'");
  });

  it('refuses a value the database did not send (unchanged TOAST)', () => {
    const result = nodeVariables(hub, { ...row, plan: UNCHANGED_TOAST }, new Map());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('ROWKUBE_ERR_ROW');
    expect(result.error.message).toContain('REPLICA IDENTITY FULL');
  });

  it.each<Pick<HubConfig, 'values' | 'lookups'>>([
    { values: { uid: 'plan' }, lookups: [] },
    { values: { row: 'plan' }, lookups: [] },
    { values: { plan: 'plan' }, lookups: [{ name: 'plan', table: 'feature_flags', key: 'tenant_id' }] },
  ])('refuses a variable defined twice: %j', (clash) => {
    const result = nodeVariables({ ...hub, ...clash }, row, new Map());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('ROWKUBE_ERR_CONFIG');
  });

  it('keeps a "__proto__" column as a column', () => {
    const hostile = JSON.parse(
      '{"tenant_id":"acme","plan":"pro","counter":1,"logo_png":null,"__proto__":"x"}',
    );
    const { variables } = ok(nodeVariables(hub, hostile, new Map()));
    const converted = variables.row as Record<string, unknown>;
    expect(Object.hasOwn(converted, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(converted)).toBe(Object.prototype);
  });
});
