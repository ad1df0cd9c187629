import { describe, expect, it } from 'vitest';
import { RenderError, renderManifest, TemplateSyntaxError } from '../../src/processor/render/index.js';

const site = { form: 'web', resourceId: 'app' };

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: '{{ uid }}-app', namespace: 'tenant-{{ uid }}', labels: { tier: 'web' } },
  spec: {
    replicas: '{{ replicas | to_int }}',
    paused: '{{ paused | to_bool }}',
    template: {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.example.com/app:{{ version }}',
            env: [
              { name: 'DOMAIN', value: '{{ domain }}' },
              { name: 'PORT', value: 8080 },
            ],
          },
        ],
      },
    },
  },
};

const row = { uid: 'acme', replicas: '3', paused: '0', version: '1.2.3', domain: 'acme.example.com' };

function renderError(manifest: unknown, variables: Record<string, unknown>): RenderError {
  try {
    renderManifest(manifest, variables, site);
  } catch (error) {
    if (error instanceof RenderError) return error;
    throw error;
  }
  throw new Error('rendered without an error');
}

describe('Processor > render > renderManifest', () => {
  it('renders string leaves and keeps everything else', () => {
    expect(renderManifest(deployment, row, site)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'acme-app', namespace: 'tenant-acme', labels: { tier: 'web' } },
      spec: {
        replicas: 3,
        paused: false,
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                image: 'registry.example.com/app:1.2.3',
                env: [
                  { name: 'DOMAIN', value: 'acme.example.com' },
                  { name: 'PORT', value: 8080 },
                ],
              },
            ],
          },
        },
      },
    });
  });

  it('modifies neither the manifest nor the variables', () => {
    const manifest = structuredClone(deployment);
    const variables = structuredClone(row);
    const out = renderManifest(manifest, variables, site);
    expect(manifest).toEqual(deployment);
    expect(variables).toEqual(row);
    expect(out.metadata).not.toBe(manifest.metadata);
  });

  it('keeps strings without template syntax as they are', () => {
    const manifest = { a: 'plain { text } with } braces', b: '', c: null, d: true, e: [1, 'x'] };
    expect(renderManifest(manifest, {}, site)).toEqual(manifest);
  });

  it('refuses a manifest that is not an object', () => {
    expect(() => renderManifest(['x'], {}, site)).toThrow(TypeError);
  });
});

describe('Processor > render > renderManifest > typed leaves', () => {
  it('gives a number for a single expression ending in to_int', () => {
    expect(renderManifest({ replicas: '{{ replicas | to_int }}' }, { replicas: '3' }, site).replicas).toBe(3);
  });

  it('gives a boolean for a single expression ending in to_bool', () => {
    expect(renderManifest({ enabled: '{{ x | to_bool }}' }, { x: 'yes' }, site).enabled).toBe(true);
  });

  it('gives a JSON value for a single expression ending in from_json', () => {
    const out = renderManifest({ resources: '{{ limits | from_json }}' }, { limits: '{"cpu":"1"}' }, site);
    expect(out.resources).toEqual({ cpu: '1' });
  });

  it('allows blanks and whitespace control around the expression', () => {
    expect(renderManifest({ n: '  {{- n | to_int -}}\n' }, { n: '4' }, site).n).toBe(4);
  });

  it('gives a string when text surrounds the expression', () => {
    expect(renderManifest({ v: '{{ a }}-{{ b }}' }, { a: 1, b: 2 }, site).v).toBe('1-2');
    expect(renderManifest({ v: 'n={{ n | to_int }}' }, { n: '4' }, site).v).toBe('n=4');
  });

  it('gives a string when the typed filter is not the last one', () => {
    expect(renderManifest({ v: '{{ n | to_int | plus: 1 }}' }, { n: '4' }, site).v).toBe('5');
  });

  it('gives a string for a number variable without a typed filter', () => {
    expect(renderManifest({ v: '{{ n }}' }, { n: 4 }, site).v).toBe('4');
  });
});

describe('Processor > render > renderManifest > strict variables', () => {
  it('fails on a missing variable, naming form, resource, path, template and variable', () => {
    const error = renderError(deployment, { ...row, version: undefined });
    expect(error.code).toBe('ROWKUBE_ERR_TEMPLATE');
    expect(error.path).toBe('spec.template.spec.containers[0].image');
    expect(error.site).toEqual(site);
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/^ROWKUBE_ERR_TEMPLATE: form 'web' resource 'app' at /);
    expect(error.message).toContain('spec.template.spec.containers[0].image');
    expect(error.message).toContain('"registry.example.com/app:{{ version }}"');
    expect(error.message).toContain('undefined variable: version');
  });

  it('fails on a missing nested property', () => {
    const error = renderError({ a: '{{ row.nope }}' }, { row: { yes: 1 } });
    expect(error.message).toContain('undefined variable: row.nope');
  });

  it('fails when null would print as nothing', () => {
    const error = renderError({ a: 'x-{{ v }}' }, { v: null });
    expect(error.message).toContain('the value is null');
  });

  it('fails when a missing variable passed through assign is printed', () => {
    expect(renderError({ a: '{% assign x = missing %}{{ x }}' }, {}).message).toContain('the value is null');
  });

  it('fails when an object would print as [object Object]', () => {
    expect(renderError({ a: '{{ v }}' }, { v: { b: 1 } }).message).toContain('the value is an object');
    expect(renderError({ a: '{{ v }}' }, { v: [1] }).message).toContain('the value is an array');
  });

  it('names the leaf of a failing filter and keeps the cause', () => {
    const error = renderError({ spec: { replicas: '{{ n | to_int }}' } }, { n: 'three' });
    expect(error.path).toBe('spec.replicas');
    expect(error.message).toContain('to_int: "three" is not an integer');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('brackets keys with dots in the path', () => {
    const error = renderError({ metadata: { annotations: { 'example.com/owner': '{{ owner }}' } } }, {});
    expect(error.path).toBe('metadata.annotations["example.com/owner"]');
  });

  it('reports a template that does not parse as a configuration error with its place', () => {
    try {
      renderManifest({ spec: { a: '{{ oops' } }, {}, site);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TemplateSyntaxError);
      expect((error as TemplateSyntaxError).code).toBe('ROWKUBE_ERR_CONFIG');
      expect((error as Error).message).toContain("form 'web' resource 'app' at spec.a");
      expect((error as Error).message).toContain('"{{ oops"');
    }
  });
});

describe('Processor > render > renderManifest > hostile values', () => {
  const manifest = {
    kind: 'ConfigMap',
    metadata: { name: 'cm' },
    data: { value: '{{ v }}', quoted: '"{{ v }}"', list: ['{{ v }}'] },
  };

  function keysDeep(value: unknown, prefix = ''): string[] {
    if (Array.isArray(value))
      return value.flatMap((v, i) => [`${prefix}[${i}]`, ...keysDeep(v, `${prefix}[${i}]`)]);
    if (value && typeof value === 'object') {
      return Object.entries(value).flatMap(([k, v]) => [`${prefix}.${k}`, ...keysDeep(v, `${prefix}.${k}`)]);
    }
    return [];
  }

  it('keeps YAML in a value as that exact string, adding no key', () => {
    const v = 'x\nkind: ClusterRole\nmetadata:\n  name: admin';
    const out = renderManifest(manifest, { v }, site);
    expect(out.data).toEqual({ value: v, quoted: `"${v}"`, list: [v] });
    expect(out.kind).toBe('ConfigMap');
    expect(keysDeep(out)).toEqual(keysDeep(manifest));
  });

  it('keeps JSON and document separators in a value as text', () => {
    const v = '"}, "kind": "ClusterRole", "x": {"\n---\napiVersion: v1';
    expect((renderManifest(manifest, { v }, site).data as Record<string, unknown>).value).toBe(v);
  });

  it('never renders template syntax that comes from a row', () => {
    const v = '{{ secret }}{% if true %}x{% endif %}';
    const out = renderManifest(manifest, { v, secret: 'leaked' }, site);
    expect((out.data as Record<string, unknown>).value).toBe(v);
  });

  it('renders a 100k-character value in full', () => {
    const v = 'a'.repeat(100_000);
    expect((renderManifest(manifest, { v }, site).data as Record<string, unknown>).value).toBe(v);
  });

  it('keeps unicode as it is', () => {
    const v = 'Zürich — 東京 🚀 \u200b e\u0301';
    const out = renderManifest({ a: '{{ v }}', b: 'ü-{{ v }}' }, { v }, site);
    expect(out).toEqual({ a: v, b: `ü-${v}` });
  });

  it('does not render keys, even when they look like templates', () => {
    const out = renderManifest({ data: { '{{ k }}': '{{ v }}' } }, { k: 'injected', v: 'ok' }, site);
    expect(out).toEqual({ data: { '{{ k }}': 'ok' } });
  });

  it('does not reach prototypes through variables', () => {
    const variables = { row: { a: 1 } };
    expect(renderError({ a: '{{ constructor }}' }, variables).message).toContain(
      'undefined variable: constructor',
    );
    expect(renderError({ a: '{{ row.constructor.name }}' }, variables).message).toContain(
      'undefined variable',
    );
    expect(renderError({ a: '{{ __proto__ }}' }, variables).message).toContain('undefined variable');
    expect(renderError({ a: '{{ row.__proto__ }}' }, variables).message).toContain('undefined variable');
  });

  it('treats "__proto__" as an ordinary value and key', () => {
    const out = renderManifest(
      JSON.parse('{"__proto__": {"x": "{{ v }}"}, "y": "{{ v }}"}'),
      { v: '__proto__' },
      site,
    );
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'y']);
    expect(out.y).toBe('__proto__');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('renders variables named like Object.prototype members when they are the row own', () => {
    const out = renderManifest(
      { a: '{{ constructor }}-{{ toString }}' },
      { constructor: 'c', toString: 't' },
      site,
    );
    expect(out.a).toBe('c-t');
  });

  it('does not let a template write into the row', () => {
    const variables = { n: 1 };
    expect(() => renderManifest({ a: '{% increment n %}' }, variables, site)).toThrow(TemplateSyntaxError);
    renderManifest({ a: '{% assign n = 5 %}{{ n }}' }, variables, site);
    expect(variables).toEqual({ n: 1 });
  });

  it('stops a row value from blowing up a loop', () => {
    const error = renderError({ a: '{% for i in (1..n) %}x{% endfor %}' }, { n: 1_000_000_000 });
    expect(error.message).toContain('limit');
  });
});
