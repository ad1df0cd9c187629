import { describe, expect, it } from 'vitest';
import { childPath, desiredChanges, fieldChanges } from '../../src/plan/field-diff.js';

const live = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'tenant-a',
    resourceVersion: '100',
    generation: 1,
    uid: 'u-1',
    creationTimestamp: '2026-12-01T00:00:00Z',
    managedFields: [{ manager: 'rowkube' }],
    labels: { app: 'web' } as Record<string, string>,
    annotations: { 'rowkube.io/content-hash': 'old', 'example.com/owner': 'ops' },
  },
  spec: {
    replicas: 2,
    template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
  status: { observedGeneration: 1 },
};

describe('Plan > fieldChanges', () => {
  it('finds the fields that differ, leaving out bookkeeping, status and rowkube marks', () => {
    const after = structuredClone(live);
    after.metadata.resourceVersion = '101';
    after.metadata.generation = 2;
    after.metadata.annotations['rowkube.io/content-hash'] = 'new';
    after.spec.template.spec.containers[0] = { name: 'web', image: 'nginx:1.28' };
    after.status.observedGeneration = 2;
    expect(fieldChanges(live, after)).toEqual([
      { path: 'spec.template.spec.containers[0].image', old: 'nginx:1.27', new: 'nginx:1.28' },
    ]);
  });

  it('reports added and removed fields and array elements, keys with dots quoted', () => {
    const after = structuredClone(live) as typeof live & { spec: { paused?: boolean } };
    delete (after.metadata.annotations as Record<string, string>)['example.com/owner'];
    after.metadata.labels = { app: 'web', tier: 'gold' };
    after.spec.paused = true;
    after.spec.template.spec.containers.push({ name: 'side', image: 'busybox' });
    expect(fieldChanges(live, after)).toEqual([
      { path: 'metadata.annotations["example.com/owner"]', old: 'ops' },
      { path: 'metadata.labels.tier', new: 'gold' },
      { path: 'spec.paused', new: true },
      { path: 'spec.template.spec.containers[1]', new: { name: 'side', image: 'busybox' } },
    ]);
  });

  it('leaves out the resource ignoreFields', () => {
    const after = structuredClone(live);
    after.spec.replicas = 5;
    expect(fieldChanges(live, after, ['spec.replicas'])).toEqual([]);
    expect(fieldChanges(live, after)).toEqual([{ path: 'spec.replicas', old: 2, new: 5 }]);
  });

  it('finds nothing between equal objects', () => {
    expect(fieldChanges(live, structuredClone(live))).toEqual([]);
  });
});

describe('Plan > desiredChanges', () => {
  it('compares only the fields the desired manifest sets', () => {
    const desired = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        selector: { matchLabels: { app: 'web2' } },
        template: { spec: { containers: [{ image: 'nginx:1.27' }] } },
      },
    };
    expect(desiredChanges(live, desired)).toEqual([
      { path: 'spec.selector', new: { matchLabels: { app: 'web2' } } },
    ]);
  });
});

describe('Plan > childPath', () => {
  it('writes paths as ignoreFields parses them', () => {
    expect(childPath('', 'spec')).toBe('spec');
    expect(childPath('spec.containers', 0)).toBe('spec.containers[0]');
    expect(childPath('metadata.labels', 'app.kubernetes.io/name')).toBe(
      'metadata.labels["app.kubernetes.io/name"]',
    );
  });
});
