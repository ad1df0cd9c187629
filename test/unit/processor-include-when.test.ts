import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/load-config.js';
import { contentHash } from '../../src/contracts/index.js';
import { formSchema } from '../../src/core/config/form-schema.js';
import { hubSchema } from '../../src/core/config/hub-schema.js';
import { ConfigError } from '../../src/core/config/load-config.js';
import { renderNode } from '../../src/processor/render-node.js';

const hub = hubSchema.parse({
  name: 'tenants',
  source: 'appdb',
  table: 'tenants',
  uid: 'tenant_id',
  values: { verified: 'domain_verified', plan: 'plan' },
  lookups: [{ name: 'flags', table: 'feature_flags', key: 'tenant_id' }],
});

function formWith(includeWhen?: string) {
  return formSchema.parse({
    name: 'site',
    hub: 'tenants',
    resources: [
      { id: 'config', manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '{{ uid }}' } } },
      {
        id: 'cert',
        dependIds: ['config'],
        ...(includeWhen === undefined ? {} : { includeWhen }),
        manifest: { apiVersion: 'v1', kind: 'Secret', metadata: { name: '{{ uid }}-tls' } },
      },
      {
        id: 'ingress',
        dependIds: ['config', 'cert'],
        manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '{{ uid }}-ingress' } },
      },
    ],
  });
}

const row = { tenant_id: 'acme', domain_verified: 0, plan: 'pro' };
const render = (
  includeWhen: string | undefined,
  overrides: Record<string, unknown> = {},
  flags: Record<string, unknown>[] = [],
) =>
  renderNode({
    form: formWith(includeWhen),
    hub,
    row: { ...row, ...overrides },
    lookups: new Map([['flags', flags]]),
  });

describe('Processor > renderNode > includeWhen', () => {
  it('leaves the resource out while the condition is false, and drops the dependId on it', () => {
    const result = render('verified == 1');
    expect(result.kind).toBe('node');
    if (result.kind !== 'node') return;
    expect(result.resources.map((r) => r.id)).toEqual(['config', 'ingress']);
    expect(result.resources[1]?.dependIds).toEqual(['config']);
  });

  it('includes it, with its dependIds as written, once the condition is true', () => {
    const result = render('verified == 1', { domain_verified: 1 });
    if (result.kind !== 'node') throw new Error(result.kind);
    expect(result.resources.map((r) => r.id)).toEqual(['config', 'cert', 'ingress']);
    expect(result.resources[2]?.dependIds).toEqual(['config', 'cert']);
  });

  it('reads lookups like any condition', () => {
    const condition = "flags | where: 'flag', 'redis' | size > 0";
    const on = render(`plan == 'pro' and flags.size > 0`, {}, [{ tenant_id: 'acme', flag: 'redis' }]);
    if (on.kind !== 'node') throw new Error(on.kind);
    expect(on.resources.map((r) => r.id)).toContain('cert');
    expect(render(condition).kind).toBe('error');
  });

  it('renders a form without includeWhen exactly as before (the same hash)', () => {
    const before = render(undefined);
    const always = render('true');
    expect(contentHash(always)).toBe(contentHash(before));
  });

  it('reports an unknown variable as the node error naming form, resource and condition', () => {
    const result = render('verifed == 1');
    expect(result).toMatchObject({
      kind: 'error',
      id: 'site/acme',
      error: {
        code: 'ROWKUBE_ERR_TEMPLATE',
        resourceId: 'cert',
        message: expect.stringContaining(
          `form 'site' resource 'cert' includeWhen "verifed == 1": unknown variable 'verifed'`,
        ),
      },
    });
  });

  it('reports a condition that does not parse as a config error', () => {
    const result = render('verified | no_such_filter');
    expect(result).toMatchObject({
      kind: 'error',
      error: { code: 'ROWKUBE_ERR_CONFIG', resourceId: 'cert' },
    });
    if (result.kind === 'error') expect(result.error.message).toContain('does not parse');
  });
});

describe('Config > includeWhen and filter are checked at load', () => {
  const config = (filter: string, includeWhen: string) => `
kafka: { brokers: [127.0.0.1:9092], topicPrefix: rk }
sources:
  - name: appdb
    mysql: { url: "mysql://cdc:pw@127.0.0.1:3306/app" }
    tables: [tenants]
hubs:
  - name: tenants
    source: appdb
    table: tenants
    uid: tenant_id
    values: { verified: domain_verified }
    filter: ${JSON.stringify(filter)}
forms:
  - name: site
    hub: tenants
    resources:
      - id: cert
        includeWhen: ${JSON.stringify(includeWhen)}
        manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "{{ uid }}" } }
`;
  const problems = (text: string): string[] => {
    try {
      parseConfig(text, 'rowkube.yaml', {});
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.problems.map((p) => `${p.path}: ${p.message}`);
    }
  };

  it('accepts conditions over the hub variables (row columns are checked at render)', () => {
    expect(problems(config('row.plan != "free"', 'verified and uid != "x"'))).toEqual([]);
  });

  it('names the setting, the unknown variable and the known ones', () => {
    const found = problems(config('plann != "free"', 'verifed'));
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/hubs\[0\]\.filter.*unknown variable 'plann'; variables: uid, row, verified/);
    expect(found[1]).toMatch(
      /forms\[0\]\.resources\[0\]\.includeWhen.*form 'site' resource 'cert' includeWhen:.*'verifed'/,
    );
  });

  it('refuses a condition that does not parse', () => {
    expect(problems(config('true', 'verified | no_such_filter')).join('\n')).toMatch(
      /includeWhen.*does not parse/,
    );
  });
});
