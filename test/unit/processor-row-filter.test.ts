import { describe, expect, it } from 'vitest';
import { evaluateFilter } from '../../src/processor/row-filter.js';

const variables = {
  uid: 'acme',
  plan: 'pro',
  replicas: 3,
  note: null,
  row: { tenant_id: 'acme', plan: 'pro', region: 'eu' },
  features: [{ flag: 'sso' }],
};

describe('Processor > row filter', () => {
  it.each([
    ["plan != 'free'", true],
    ["plan == 'free'", false],
    ['replicas > 2', true],
    ['replicas > 5', false],
    ["row.region == 'eu' and uid contains 'ac'", true],
    ['features.size > 0', true],
    ["features.first.flag == 'sso'", true],
    ['note', false],
    ['note == nil', true],
  ])('%s → %s', (filter, keep) => {
    expect(evaluateFilter(filter, variables, 'tenants')).toEqual({ ok: true, keep });
  });

  it.each([
    ["plan_typo != 'free'", 'plan_typo'],
    ['typo', 'typo'],
    ["row.regoin == 'eu'", 'row.regoin'],
  ])('an unknown variable in %s is an error, not false', (filter, name) => {
    const result = evaluateFilter(filter, variables, 'tenants');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('ROWKUBE_ERR_TEMPLATE');
    expect(result.error.message).toContain(`unknown variable '${name}'`);
    expect(result.error.message).toContain("hub 'tenants'");
  });

  it.each(['', '===', 'plan | no_such_filter'])(
    'a filter that does not parse (%j) is a configuration error',
    (filter) => {
      const result = evaluateFilter(filter, variables, 'tenants');
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe('ROWKUBE_ERR_CONFIG');
    },
  );

  it('a filter that closes the tag itself is refused', () => {
    const result = evaluateFilter('plan %}true{% else %}x{% endif %}{% if plan', variables, 'tenants');
    expect(result.ok).toBe(false);
  });
});
