import { describe, expect, it } from 'vitest';
import { RowkubeError } from '../../src/core/errors.js';
import { type Manifest, parseFieldPath, withIgnoredFields } from '../../src/sink/ownership/index.js';

function desired(): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', annotations: { owner: 'rowkube', 'example.com/x': 'desired' } },
    spec: {
      replicas: 2,
      template: {
        spec: { containers: [{ name: 'app', image: 'nginx:1.27', resources: { limits: { cpu: '1' } } }] },
      },
    },
  };
}

function live(): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'app',
      resourceVersion: '4711',
      annotations: { owner: 'alice', 'example.com/x': 'live', 'deployment.kubernetes.io/revision': '3' },
    },
    spec: {
      replicas: 7,
      template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } },
    },
    status: { replicas: 7 },
  };
}

describe('Sink > ownership > withIgnoredFields', () => {
  it('copies the live value of an ignored field into a copy of desired', () => {
    const original = desired();
    const result = withIgnoredFields(original, live(), ['spec.replicas']);
    expect((result.spec as { replicas: number }).replicas).toBe(7);
    expect(original).toEqual(desired());
    // Everything else stays as desired.
    expect(result.metadata).toEqual(desired().metadata);
  });

  it('copies annotation values, with bracket-quoted keys holding dots and slashes', () => {
    const result = withIgnoredFields(desired(), live(), [
      'metadata.annotations.owner',
      'metadata.annotations["example.com/x"]',
    ]);
    expect((result.metadata as { annotations: object }).annotations).toEqual({
      owner: 'alice',
      'example.com/x': 'live',
    });
  });

  it('copies into array elements by index', () => {
    const result = withIgnoredFields(desired(), live(), ['spec.template.spec.containers[0].image']);
    expect(result.spec).toMatchObject({
      template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } },
    });
  });

  it('removes an ignored field the live object does not have', () => {
    const result = withIgnoredFields(desired(), live(), ['spec.template.spec.containers[0].resources']);
    expect(result.spec).toEqual({
      replicas: 2,
      template: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    });
  });

  it('creates missing parents in desired for a live value', () => {
    const result = withIgnoredFields(desired(), live(), [
      'metadata.annotations["deployment.kubernetes.io/revision"]',
    ]);
    expect(
      (result.metadata as { annotations: Record<string, string> }).annotations[
        'deployment.kubernetes.io/revision'
      ],
    ).toBe('3');
    const bare: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    const liveConfigMap = { metadata: { name: 'c', labels: { tier: 'gold' } } };
    expect(withIgnoredFields(bare, liveConfigMap, ['metadata.labels.tier']).metadata).toEqual({
      name: 'c',
      labels: { tier: 'gold' },
    });
  });

  it('copies objects deeply, so the result shares nothing with the live object', () => {
    const liveObject = live();
    const result = withIgnoredFields(desired(), liveObject, ['spec.template']);
    const copied = result.spec as { template: { spec: { containers: [{ image: string }] } } };
    copied.template.spec.containers[0].image = 'changed';
    expect(copied.template.spec.containers[0].image).toBe('changed');
    expect(liveObject).toEqual(live());
  });

  it('changes nothing for an object that does not exist yet: ignored fields are set at creation', () => {
    expect(withIgnoredFields(desired(), undefined, ['spec.replicas'])).toEqual(desired());
  });

  it('leaves desired alone where a path cannot be placed', () => {
    const liveWithTwo = { spec: { template: { spec: { containers: [{ image: 'a' }, { image: 'b' }] } } } };
    // desired has one container: no element 1 to set, and none is invented.
    expect(withIgnoredFields(desired(), liveWithTwo, ['spec.template.spec.containers[1].image'])).toEqual(
      desired(),
    );
    // A path through a string in desired.
    const odd: Manifest = { ...desired(), spec: 'text' };
    expect(withIgnoredFields(odd, live(), ['spec.replicas'])).toEqual(odd);
    // Removing an array element would shift the others.
    expect(
      withIgnoredFields(desired(), { spec: { template: { spec: { containers: [] } } } }, [
        'spec.template.spec.containers[0]',
      ]),
    ).toEqual(desired());
  });

  it('accepts Lynq-style JSONPath with a leading "$."', () => {
    expect(
      (withIgnoredFields(desired(), live(), ['$.spec.replicas']).spec as { replicas: number }).replicas,
    ).toBe(7);
  });

  it('refuses a bad path with ROWKUBE_ERR_CONFIG naming it', () => {
    let error: unknown;
    try {
      withIgnoredFields(desired(), live(), ['spec..replicas']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RowkubeError);
    expect((error as RowkubeError).code).toBe('ROWKUBE_ERR_CONFIG');
    expect((error as RowkubeError).message).toContain('"spec..replicas"');
  });
});

describe('Sink > ownership > parseFieldPath', () => {
  it.each([
    ['spec.replicas', ['spec', 'replicas']],
    ['spec.template.spec.containers[0].image', ['spec', 'template', 'spec', 'containers', 0, 'image']],
    ['metadata.annotations["example.com/x"]', ['metadata', 'annotations', 'example.com/x']],
    ["metadata.annotations['example.com/x']", ['metadata', 'annotations', 'example.com/x']],
    ['metadata.annotations["a\\"b"]', ['metadata', 'annotations', 'a"b']],
    ["metadata.labels['it\\'s']", ['metadata', 'labels', "it's"]],
    ['metadata.labels["a]b"]', ['metadata', 'labels', 'a]b']],
    ['metadata.labels.app/name', ['metadata', 'labels', 'app/name']],
    ['data["12"]', ['data', '12']],
    ['items[12]', ['items', 12]],
    ['["spec"].replicas', ['spec', 'replicas']],
    ['$.spec.replicas', ['spec', 'replicas']],
    ['$["spec"]', ['spec']],
  ])('%s', (text, path) => {
    expect(parseFieldPath(text)).toEqual(path);
  });

  it.each([
    ['', 'names no field'],
    ['$', 'names no field'],
    ['$.', 'names no field'],
    ['spec.', 'a key is empty'],
    ['.spec', 'a key is empty'],
    ['spec..replicas', 'a key is empty'],
    ['spec.containers[*].image', 'wildcards'],
    ['spec.*', 'wildcards'],
    ['spec.containers[01]', 'an index or a quoted key'],
    ['spec.containers[-1]', 'an index or a quoted key'],
    ['spec.containers[0', 'unterminated "["'],
    ['metadata.labels["a', 'unterminated quoted key'],
    ['metadata.labels["a"x]', 'expected "]"'],
    ['metadata.labels["\\q"]', 'bad escape'],
    ['spec]x', 'expected "." or "["'],
    ['$spec', 'expected "." or "["'],
  ])('refuses %j (%s)', (text, problem) => {
    expect(() => parseFieldPath(text)).toThrow(problem);
  });
});
