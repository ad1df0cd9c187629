import { describe, expect, it } from 'vitest';
import { namespaceAllowed, namespaceMatcher } from '../../src/sink/ownership/index.js';

describe('Sink > ownership > namespaceAllowed', () => {
  it.each([
    ['tenant-acme', ['tenant-*'], true],
    ['tenant-', ['tenant-*'], true],
    ['tenant', ['tenant-*'], false],
    ['my-tenant-acme', ['tenant-*'], false],
    ['kube-system', ['*'], true],
    ['acme-prod', ['*-prod'], true],
    ['acme-prod-eu', ['*-prod'], false],
    ['team-a-tenant-b', ['team-*-tenant-*'], true],
    ['team-a-tenant', ['team-*-tenant-*'], false],
    ['exact', ['exact'], true],
    ['exactly', ['exact'], false],
    ['billing', ['tenant-*', 'billing'], true],
    ['anything', [], false],
    // Regular-expression characters are literals: "." does not match any character.
    ['tenantxacme', ['tenant.acme'], false],
    ['tenant.acme', ['tenant.acme'], true],
    ['a', ['(a|b)'], false],
    ['Tenant-acme', ['tenant-*'], false],
  ])('%s against %j → %s', (namespace, patterns, allowed) => {
    expect(namespaceAllowed(namespace, patterns)).toBe(allowed);
  });

  it('compiles the patterns once for many namespaces', () => {
    const allowed = namespaceMatcher(['tenant-*', 'shared']);
    expect(['tenant-a', 'shared', 'default', 'tenant'].map(allowed)).toEqual([true, true, false, false]);
  });
});
