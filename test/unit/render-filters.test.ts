import { describe, expect, it } from 'vitest';
import { RenderError, renderManifest } from '../../src/processor/render/index.js';

const site = { form: 'web', resourceId: 'app' };

/** Renders one leaf the way a manifest would. */
function render(template: string, variables: Record<string, unknown> = {}): unknown {
  return renderManifest({ leaf: template }, variables, site).leaf;
}

/** The message of the RenderError a leaf fails with. */
function failure(template: string, variables: Record<string, unknown> = {}): string {
  try {
    render(template, variables);
  } catch (error) {
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).code).toBe('ROWKUBE_ERR_TEMPLATE');
    return (error as Error).message;
  }
  throw new Error(`${template} rendered without an error`);
}

describe('Processor > render > filters > to_int', () => {
  it('turns integer text and numbers into numbers', () => {
    expect(render('{{ v | to_int }}', { v: '3' })).toBe(3);
    expect(render('{{ v | to_int }}', { v: ' -12 ' })).toBe(-12);
    expect(render('{{ v | to_int }}', { v: 7 })).toBe(7);
    expect(render('{{ v | to_int }}', { v: 9n })).toBe(9);
    expect(render('{{ v | to_int }}', { v: '-0' })).toBe(0);
    expect(Object.is(render('{{ v | to_int }}', { v: '-0' }), -0)).toBe(false);
  });

  it('refuses what parseInt would half-read, and numbers beyond 2^53', () => {
    for (const v of ['abc', '1.5', '3abc', '', '1e3', 1.5, true, '9007199254740993']) {
      expect(failure('{{ v | to_int }}', { v })).toContain('is not an integer');
    }
    expect(failure('{{ v | to_int }}', { v: 'abc' })).toContain('to_int: "abc" is not an integer');
  });

  it('says to use default when the value is null', () => {
    expect(failure('{{ v | to_int }}', { v: null })).toContain('default');
  });
});

describe('Processor > render > filters > to_float', () => {
  it('turns decimal text into numbers', () => {
    expect(render('{{ v | to_float }}', { v: '1.5' })).toBe(1.5);
    expect(render('{{ v | to_float }}', { v: '.25' })).toBe(0.25);
    expect(render('{{ v | to_float }}', { v: '2e3' })).toBe(2000);
    expect(render('{{ v | to_float }}', { v: 4 })).toBe(4);
  });

  it('refuses text that is not a number', () => {
    for (const v of ['x', '1.2.3', '', 'Infinity', Number.NaN]) {
      expect(failure('{{ v | to_float }}', { v })).toContain('is not a number');
    }
  });
});

describe('Processor > render > filters > to_bool', () => {
  it('reads the spellings databases and people use', () => {
    for (const v of [true, 'true', 'TRUE', 'yes', 'Y', 'on', 't', '1', 1]) {
      expect(render('{{ v | to_bool }}', { v })).toBe(true);
    }
    for (const v of [false, 'false', 'No', 'n', 'off', 'f', '0', 0]) {
      expect(render('{{ v | to_bool }}', { v })).toBe(false);
    }
  });

  it('refuses anything else instead of treating it as false', () => {
    for (const v of ['maybe', '', 2, '10']) {
      expect(failure('{{ v | to_bool }}', { v })).toContain('is not a boolean');
    }
  });
});

describe('Processor > render > filters > to_host', () => {
  it('takes the host out of a URL, lowercase, without port or path', () => {
    expect(render('{{ v | to_host }}', { v: 'https://Acme.example.com:8443/x' })).toBe('acme.example.com');
    expect(render('{{ v | to_host }}', { v: 'http://user:pw@shop.example.org/?q=1' })).toBe(
      'shop.example.org',
    );
    expect(render('{{ v | to_host }}', { v: 'postgres://db.internal:5432/app' })).toBe('db.internal');
  });

  it('takes the host out of host[:port][/path]', () => {
    expect(render('{{ v | to_host }}', { v: 'Acme.example.com' })).toBe('acme.example.com');
    expect(render('{{ v | to_host }}', { v: 'acme.example.com:8443/x' })).toBe('acme.example.com');
    expect(render('{{ v | to_host }}', { v: '[::1]:8080' })).toBe('::1');
  });

  it('gives an international name in its punycode form', () => {
    expect(render('{{ v | to_host }}', { v: 'https://Bücher.example/' })).toBe('xn--bcher-kva.example');
  });

  it('refuses text without a host', () => {
    expect(failure('{{ v | to_host }}', { v: '' })).toContain('to_host: no host in ""');
    expect(failure('{{ v | to_host }}', { v: 'not a host' })).toContain('to_host: no host in "not a host"');
    expect(failure('{{ v | to_host }}', { v: { a: 1 } })).toContain('to_host: expects text, got an object');
  });
});

describe('Processor > render > filters > trunc63', () => {
  it('keeps short values and cuts long ones to 63', () => {
    expect(render('{{ v | trunc63 }}', { v: 'short' })).toBe('short');
    expect(render('{{ v | trunc63 }}', { v: 'a'.repeat(100) })).toBe('a'.repeat(63));
  });

  it('trims the separators a cut leaves at the end', () => {
    const v = `${'a'.repeat(60)}-.-bbbb`;
    expect(render('{{ v | trunc63 }}', { v })).toBe('a'.repeat(60));
  });

  it('never splits a character', () => {
    expect(render('{{ v | trunc63 }}', { v: '🚀'.repeat(70) })).toBe('🚀'.repeat(63));
  });
});

describe('Processor > render > filters > dns_label', () => {
  it('makes a DNS label out of any text', () => {
    expect(render('{{ v | dns_label }}', { v: 'Acme Inc.' })).toBe('acme-inc');
    expect(render('{{ v | dns_label }}', { v: 'Café Zürich' })).toBe('cafe-zurich');
    expect(render('{{ v | dns_label }}', { v: '--x__y--' })).toBe('x-y');
    expect(render('{{ v | dns_label }}', { v: 42 })).toBe('42');
  });

  it('leaves a valid label unchanged', () => {
    expect(render('{{ v | dns_label }}', { v: 'tenant--01' })).toBe('tenant--01');
  });

  it('keeps to 63 characters without a trailing separator', () => {
    const out = render('{{ v | dns_label }}', { v: `${'a'.repeat(62)} b` }) as string;
    expect(out).toBe('a'.repeat(62));
  });

  it('refuses text with no letter or digit', () => {
    expect(failure('{{ v | dns_label }}', { v: '🚀 !!' })).toContain(
      'dns_label: "🚀 !!" has no letter or digit',
    );
  });
});

describe('Processor > render > filters > sha1', () => {
  it('gives the hex SHA-1 of the UTF-8 text, like Lynq sha1sum', () => {
    expect(render('{{ v | sha1 }}', { v: 'test' })).toBe('a94a8fe5ccb19ba61c4c0873d391e987982fbbd3');
    expect(render('{{ v | sha1 | slice: 0, 8 }}', { v: 'test' })).toBe('a94a8fe5');
  });

  it('refuses an object', () => {
    expect(failure('{{ v | sha1 }}', { v: [1] })).toContain('sha1: expects text, got an array');
  });
});

describe('Processor > render > filters > b64enc and b64dec', () => {
  it('encodes UTF-8 text and decodes it back', () => {
    expect(render('{{ v | b64enc }}', { v: 'héllo' })).toBe('aMOpbGxv');
    expect(render('{{ v | b64dec }}', { v: 'aMOpbGxv' })).toBe('héllo');
    expect(render('{{ v | b64enc | b64dec }}', { v: 'x\nkind: ClusterRole' })).toBe('x\nkind: ClusterRole');
  });

  it('refuses what is not base64 or not UTF-8', () => {
    expect(failure('{{ v | b64dec }}', { v: 'not base64!' })).toContain(
      'b64dec: "not base64!" is not base64',
    );
    expect(failure('{{ v | b64dec }}', { v: '/w==' })).toContain('does not decode to UTF-8 text');
  });
});

describe('Processor > render > filters > from_json', () => {
  it('parses JSON text into a value', () => {
    expect(render('{{ v | from_json }}', { v: '{"cpu":"500m","n":[1,2]}' })).toEqual({
      cpu: '500m',
      n: [1, 2],
    });
    expect(render('{{ v | from_json }}', { v: '42' })).toBe(42);
    expect(render('{{ v | from_json }}', { v: 'null' })).toBe(null);
  });

  it('lets a field be picked out of the parsed value', () => {
    expect(
      render("{{ v | from_json | map: 'name' | join: ',' }}", { v: '[{"name":"a"},{"name":"b"}]' }),
    ).toBe('a,b');
  });

  it('passes an already structured value through, as a copy', () => {
    const v = { a: { b: 1 } };
    const out = render('{{ v | from_json }}', { v }) as typeof v;
    expect(out).toEqual(v);
    expect(out.a).not.toBe(v.a);
  });

  it('names the text on invalid JSON', () => {
    expect(failure('{{ v | from_json }}', { v: '{oops' })).toContain('from_json: invalid JSON in "{oops"');
  });

  it('refuses a "__proto__" key', () => {
    expect(failure('{{ v | from_json }}', { v: '{"__proto__":{"polluted":true}}' })).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('Processor > render > filters > default', () => {
  it('gives the fallback for a missing variable despite strict variables', () => {
    expect(render("{{ missing | default: 'x' }}")).toBe('x');
    expect(render("{{ row.missing | default: 'x' }}", { row: {} })).toBe('x');
    expect(render("{{ missing.deeper | default: 'x' }}")).toBe('x');
  });

  it('gives the fallback for null, empty text and false, and the value otherwise', () => {
    expect(render("{{ v | default: 'x' }}", { v: null })).toBe('x');
    expect(render("{{ v | default: 'x' }}", { v: '' })).toBe('x');
    expect(render("{{ v | default: 'x' }}", { v: false })).toBe('x');
    expect(render("{{ v | default: 'x' }}", { v: 'set' })).toBe('set');
  });

  it('feeds a typed filter: default first, the typed filter last', () => {
    expect(render('{{ replicas | default: 2 | to_int }}')).toBe(2);
    expect(render('{{ replicas | default: 2 | to_int }}', { replicas: '5' })).toBe(5);
  });

  it('only rescues a missing variable as the first filter', () => {
    expect(failure("{{ missing | upcase | default: 'x' }}")).toContain('undefined variable: missing');
  });

  it('lets if test a missing variable', () => {
    expect(render('{% if missing %}yes{% else %}no{% endif %}')).toBe('no');
  });
});

describe("Processor > render > filters > Liquid's own", () => {
  it('are available', () => {
    expect(render('{{ v | upcase }}', { v: 'a' })).toBe('A');
    expect(render("{{ v | replace: '.', '-' }}", { v: 'a.b' })).toBe('a-b');
    expect(render('{{ v | json }}', { v: { a: 1 } })).toBe('{"a":1}');
    expect(render('{{ v | sha256 }}', { v: 'test' })).toHaveLength(64);
  });

  it('do not include the random sample', () => {
    expect(() => render('{{ v | sample }}', { v: [1, 2] })).toThrow(/undefined filter: sample/);
  });
});
