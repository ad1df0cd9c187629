import { describe, expect, it } from 'vitest';
import { checkTemplates, renderManifest } from '../../src/processor/render/index.js';

const site = { form: 'web', resourceId: 'app' };

describe('Processor > render > checkTemplates', () => {
  it('finds nothing wrong in valid templates', () => {
    const manifest = {
      metadata: { name: '{{ uid }}-app', labels: { plain: 'text' } },
      spec: {
        replicas: '{{ replicas | default: 1 | to_int }}',
        list: ["{% if plan == 'pro' %}big{% else %}small{% endif %}", 3, null],
      },
    };
    expect(checkTemplates(manifest, site)).toEqual([]);
  });

  it('reports every syntax error with its path and template text', () => {
    const problems = checkTemplates(
      { spec: { containers: [{ image: 'app:{{ version' }], a: '{% if x %}open', b: '{{ x | nope }}' } },
      site,
    );
    expect(problems.map((p) => [p.path, p.template])).toEqual([
      ['spec.containers[0].image', 'app:{{ version'],
      ['spec.a', '{% if x %}open'],
      ['spec.b', '{{ x | nope }}'],
    ]);
    expect(problems[0]).toMatchObject({
      form: 'web',
      resourceId: 'app',
      segments: ['spec', 'containers', 0, 'image'],
    });
    expect(problems[0]?.message).toBe(
      'template syntax error: output "{{ version" not closed, line:1, col:5 in template "app:{{ version"',
    );
    expect(problems[1]?.message).toContain('not closed');
    expect(problems[2]?.message).toContain('undefined filter: nope');
  });

  it('refuses tags that read files or write into the row', () => {
    for (const template of [
      "{% include 'x' %}",
      "{% render 'x' %}",
      "{% layout 'x' %}",
      '{% increment n %}',
    ]) {
      expect(checkTemplates({ a: template }, site)[0]?.message).toMatch(/tag "\w+" not found/);
    }
  });

  it('reports keys written as templates, because keys are never rendered', () => {
    const problems = checkTemplates({ data: { '{{ key }}': 'v' } }, site);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('data["{{ key }}"]');
    expect(problems[0]?.message).toContain('keys are never rendered');
  });

  it('leaves a checked template ready to render', () => {
    const manifest = { a: '{{ x | upcase }}' };
    expect(checkTemplates(manifest, site)).toEqual([]);
    expect(renderManifest(manifest, { x: 'y' }, site)).toEqual({ a: 'Y' });
  });
});
