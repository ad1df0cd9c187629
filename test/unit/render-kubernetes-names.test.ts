import { describe, expect, it } from 'vitest';
import {
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  labelValue,
  nameRuleFor,
  qualifiedName,
  RenderError,
  renderResource,
  validateRenderedNames,
} from '../../src/processor/render/index.js';

const site = { form: 'web', resourceId: 'ns' };

function nameError(resource: unknown): RenderError {
  try {
    validateRenderedNames(resource, site);
  } catch (error) {
    if (error instanceof RenderError) return error;
    throw error;
  }
  throw new Error('names were accepted');
}

describe('Processor > render > kubernetes names > rules', () => {
  it('DNS-1123 label', () => {
    for (const ok of ['a', 'tenant-01', '0abc', 'a'.repeat(63)])
      expect(dns1123Label.problem(ok)).toBeUndefined();
    expect(dns1123Label.problem('')).toBe('it is empty');
    expect(dns1123Label.problem('a'.repeat(64))).toBe('it has 64 characters, at most 63 are allowed');
    expect(dns1123Label.problem('Tenant')).toBe('it contains "T"');
    expect(dns1123Label.problem('a.b')).toBe('it contains "."');
    expect(dns1123Label.problem('-a')).toBe('it starts with "-"');
    expect(dns1123Label.problem('a-')).toBe('it ends with "-"');
    expect(dns1123Label.problem('zürich')).toBe('it contains "ü"');
  });

  it('DNS-1035 label starts with a letter', () => {
    expect(dns1035Label.problem('svc-1')).toBeUndefined();
    expect(dns1035Label.problem('1-svc')).toBe('it starts with "1"');
  });

  it('DNS-1123 subdomain', () => {
    for (const ok of ['a', 'a.b-c.d', 'x'.repeat(253)]) expect(dns1123Subdomain.problem(ok)).toBeUndefined();
    expect(dns1123Subdomain.problem('x'.repeat(254))).toContain('at most 253');
    expect(dns1123Subdomain.problem('a..b')).toBe('its part "": it is empty');
    expect(dns1123Subdomain.problem('a.-b')).toBe('its part "-b": it starts with "-"');
    expect(dns1123Subdomain.problem('a_b')).toBe('it contains "_"');
  });

  it('label values may be empty and hold upper case, "_" and "."', () => {
    for (const ok of ['', 'Web_1.x', 'a'.repeat(63)]) expect(labelValue.problem(ok)).toBeUndefined();
    expect(labelValue.problem('a'.repeat(64))).toContain('at most 63');
    expect(labelValue.problem('_a')).toBe('it starts with "_"');
    expect(labelValue.problem('a b')).toBe('it contains " "');
  });

  it('label keys: optional subdomain prefix, then a name', () => {
    for (const ok of ['app', 'app.kubernetes.io/name', 'rowkube.io/node-id']) {
      expect(qualifiedName.problem(ok)).toBeUndefined();
    }
    expect(qualifiedName.problem('a/b/c')).toBe("it has more than one '/'");
    expect(qualifiedName.problem('Example.com/x')).toContain('its prefix is not a DNS-1123 subdomain');
    expect(qualifiedName.problem('example.com/')).toBe('its name part is empty');
    expect(qualifiedName.problem('x'.repeat(64))).toContain('at most 63');
  });

  it('picks the name rule by kind', () => {
    expect(nameRuleFor('v1', 'Namespace')).toBe(dns1123Label);
    expect(nameRuleFor('v1', 'Service')).toBe(dns1035Label);
    expect(nameRuleFor('apps/v1', 'Deployment')).toBe(dns1123Subdomain);
    expect(nameRuleFor('example.com/v1', 'Widget')).toBe(dns1123Subdomain);
    expect(
      nameRuleFor('rbac.authorization.k8s.io/v1', 'ClusterRole').problem('system:tenant:reader'),
    ).toBeUndefined();
    expect(nameRuleFor('batch/v1', 'CronJob').problem('c'.repeat(53))).toContain('at most 52');
  });
});

describe('Processor > render > kubernetes names > validateRenderedNames', () => {
  it('accepts a valid resource', () => {
    expect(() =>
      validateRenderedNames(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: {
            name: 'acme.app',
            namespace: 'tenant-acme',
            labels: { 'app.kubernetes.io/name': 'Acme_1', empty: '' },
            annotations: { 'example.com/note': 'anything\ngoes: here' },
          },
          spec: {
            selector: { matchLabels: { app: 'acme' } },
            template: { metadata: { labels: { app: 'acme' } } },
          },
        },
        site,
      ),
    ).not.toThrow();
  });

  it('names the rule, the value and the fix for a bad namespace name', () => {
    const error = nameError({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-Acme Inc.' } });
    expect(error.code).toBe('ROWKUBE_ERR_INVALID_NAME');
    expect(error.path).toBe('metadata.name');
    expect(error.message).toMatch(/^ROWKUBE_ERR_INVALID_NAME: form 'web' resource 'ns' at metadata\.name: /);
    expect(error.message).toContain('"tenant-Acme Inc."');
    expect(error.message).toContain('is not a DNS-1123 label (it contains "A")');
    expect(error.message).toContain('| dns_label');
  });

  it('refuses a Service name that starts with a digit', () => {
    const error = nameError({ apiVersion: 'v1', kind: 'Service', metadata: { name: '123-svc' } });
    expect(error.message).toContain('is not a DNS-1035 label (it starts with "1")');
  });

  it('refuses a bad metadata.namespace', () => {
    const error = nameError({ kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'tenant.acme' } });
    expect(error.path).toBe('metadata.namespace');
    expect(error.message).toContain('a namespace "tenant.acme" is not a DNS-1123 label');
  });

  it('cuts a very long value in the message', () => {
    const error = nameError({ kind: 'ConfigMap', metadata: { name: 'a'.repeat(100_000) } });
    expect(error.message).toContain('(100000 characters)');
    expect(error.message).toContain('at most 253 are allowed');
    expect(error.message.length).toBeLessThan(1000);
  });

  it('refuses a name that is not a string', () => {
    expect(nameError({ kind: 'ConfigMap', metadata: { name: 42 } }).message).toContain(
      'must be a string, not number',
    );
  });

  it('checks label values in metadata, pod templates and selectors', () => {
    const base = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app' } };
    expect(
      nameError({ ...base, metadata: { name: 'app', labels: { t: 'x\nkind: ClusterRole' } } }).message,
    ).toContain('the value of label "t" "x\\nkind: ClusterRole" is not a label value (it contains "\\n")');
    expect(
      nameError({ ...base, spec: { template: { metadata: { labels: { t: 'a'.repeat(64) } } } } }).path,
    ).toBe('spec.template.metadata.labels.t');
    expect(nameError({ ...base, spec: { selector: { matchLabels: { t: '-x' } } } }).path).toBe(
      'spec.selector.matchLabels.t',
    );
    expect(
      nameError({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { t: 1 } } })
        .message,
    ).toContain('must be a string, not number');
  });

  it('checks label and annotation keys', () => {
    expect(
      nameError({ kind: 'ConfigMap', metadata: { name: 'cm', labels: { 'a b': 'x' } } }).message,
    ).toContain('a label key "a b"');
    expect(
      nameError({ kind: 'ConfigMap', metadata: { name: 'cm', annotations: { 'x/y/z': 'v' } } }).message,
    ).toContain("it has more than one '/'");
    expect(nameError({ kind: 'ConfigMap', metadata: { name: 'cm', annotations: { n: 1 } } }).path).toBe(
      'metadata.annotations.n',
    );
  });
});

describe('Processor > render > kubernetes names > renderResource', () => {
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-{{ uid }}' } };

  it('renders and checks names in one step', () => {
    expect(renderResource(namespace, { uid: 'acme' }, site)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'tenant-acme' },
    });
  });

  it('turns hostile row values into a clear name error, not a new structure', () => {
    for (const uid of ['x\nkind: ClusterRole', '{{ uid }}', 'a'.repeat(100_000), 'Zürich', '../etc']) {
      expect(() => renderResource(namespace, { uid }, site)).toThrow(/ROWKUBE_ERR_INVALID_NAME/);
    }
  });

  it('makes a valid name out of an arbitrary value with dns_label', () => {
    const form = { ...namespace, metadata: { name: 'tenant-{{ uid | dns_label }}' } };
    const out = renderResource(form, { uid: 'Zürich Office #2' }, site);
    expect((out.metadata as { name: string }).name).toBe('tenant-zurich-office-2');
  });
});
