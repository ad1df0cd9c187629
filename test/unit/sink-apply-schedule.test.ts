import { describe, expect, it } from 'vitest';
import { RowkubeError } from '../../src/core/errors.js';
import { applySchedule, deletionWaves, type ScheduledResource } from '../../src/sink/plan/index.js';

const node = 'web/acme';

function resource(
  id: string,
  kind: string,
  dependIds: string[] = [],
  apiVersion?: string,
): ScheduledResource {
  return apiVersion === undefined ? { id, kind, dependIds } : { id, kind, dependIds, apiVersion };
}

function thrown(run: () => unknown): RowkubeError {
  try {
    run();
  } catch (error) {
    if (error instanceof RowkubeError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('Sink > plan > applySchedule', () => {
  it('orders by kind tier without explicit dependencies: Namespace, ConfigMap, then Deployment', () => {
    const schedule = applySchedule(node, [
      resource('app', 'Deployment'),
      resource('cfg', 'ConfigMap'),
      resource('ns', 'Namespace'),
    ]);
    expect(schedule.waves).toEqual([['ns'], ['cfg'], ['app']]);
    expect(schedule.prerequisites.get('ns')).toEqual({ explicit: [], implicit: [] });
    expect(schedule.prerequisites.get('cfg')).toEqual({ explicit: [], implicit: ['ns'] });
    expect(schedule.prerequisites.get('app')).toEqual({ explicit: [], implicit: ['cfg', 'ns'] });
  });

  it('runs resources of one tier without dependencies concurrently', () => {
    const schedule = applySchedule(node, [
      resource('a', 'ConfigMap'),
      resource('b', 'ConfigMap'),
      resource('c', 'ConfigMap'),
    ]);
    expect(schedule.waves).toEqual([['a', 'b', 'c']]);
  });

  it('keeps explicit and implicit prerequisites apart, an explicit one never repeated as implicit', () => {
    const schedule = applySchedule(node, [
      resource('ns', 'Namespace'),
      resource('sa', 'ServiceAccount'),
      resource('db', 'StatefulSet', ['ns']),
      resource('app', 'Deployment', ['db']),
      resource('svc', 'Service', ['app']),
    ]);
    expect(schedule.prerequisites.get('db')).toEqual({ explicit: ['ns'], implicit: ['sa'] });
    expect(schedule.prerequisites.get('app')).toEqual({ explicit: ['db'], implicit: ['ns', 'sa'] });
    expect(schedule.prerequisites.get('svc')).toEqual({ explicit: ['app'], implicit: ['ns', 'sa', 'db'] });
    expect(schedule.waves).toEqual([['ns'], ['sa'], ['db'], ['app'], ['svc']]);
  });

  it('orders explicit dependencies within one tier', () => {
    const schedule = applySchedule(node, [
      resource('migrate', 'Job'),
      resource('app', 'Deployment', ['migrate']),
      resource('worker', 'Deployment'),
    ]);
    expect(schedule.waves).toEqual([['migrate', 'worker'], ['app']]);
    expect(schedule.prerequisites.get('app')).toEqual({ explicit: ['migrate'], implicit: [] });
  });

  it('lets an explicit dependency win over the kind order, moving the dependent to the later tier', () => {
    // A ConfigMap that waits for a Deployment: it goes after the Deployment,
    // and a Service (a later tier) that depends on nothing still goes after both.
    const schedule = applySchedule(node, [
      resource('cfg', 'ConfigMap', ['app']),
      resource('app', 'Deployment'),
      resource('sa', 'ServiceAccount'),
      resource('svc', 'Service'),
    ]);
    expect(schedule.prerequisites.get('cfg')).toEqual({ explicit: ['app'], implicit: ['sa'] });
    expect(schedule.prerequisites.get('app')).toEqual({ explicit: [], implicit: ['sa'] });
    expect(schedule.prerequisites.get('svc')).toEqual({ explicit: [], implicit: ['cfg', 'app', 'sa'] });
    expect(schedule.waves).toEqual([['sa'], ['app'], ['cfg'], ['svc']]);
  });

  it('has no cycle when explicit dependencies run against the kind order through a third resource', () => {
    // ns → (explicit) crd-instance; sa sits between them in the kind order.
    const schedule = applySchedule(node, [
      resource('ns', 'Namespace', ['cert']),
      resource('sa', 'ServiceAccount'),
      resource('cert', 'Certificate', [], 'cert-manager.io/v1'),
    ]);
    expect(schedule.waves).toEqual([['sa'], ['cert'], ['ns']]);
  });

  it('orders a custom resource named like a built-in kind as a custom resource', () => {
    const schedule = applySchedule(node, [
      resource('knative', 'Service', [], 'serving.knative.dev/v1'),
      resource('app', 'Deployment', [], 'apps/v1'),
    ]);
    expect(schedule.waves).toEqual([['app'], ['knative']]);
  });

  it('refuses an unknown dependId, naming the node and both resources', () => {
    const error = thrown(() => applySchedule(node, [resource('app', 'Deployment', ['db'])]));
    expect(error.code).toBe('ROWKUBE_ERR_CONFIG');
    expect(error.message).toContain('node web/acme');
    expect(error.message).toContain('"app" depends on "db"');
  });

  it('refuses a dependency cycle, showing the cycle', () => {
    const error = thrown(() =>
      applySchedule(node, [
        resource('a', 'ConfigMap', ['b']),
        resource('b', 'ConfigMap', ['c']),
        resource('c', 'ConfigMap', ['a']),
      ]),
    );
    expect(error.code).toBe('ROWKUBE_ERR_CONFIG');
    expect(error.message).toContain('a → b → c → a');
  });

  it('refuses a resource that depends on itself', () => {
    expect(thrown(() => applySchedule(node, [resource('a', 'ConfigMap', ['a'])])).message).toContain('a → a');
  });

  it('refuses two resources with one id', () => {
    const error = thrown(() => applySchedule(node, [resource('a', 'ConfigMap'), resource('a', 'Secret')]));
    expect(error.message).toContain('two resources have the id "a"');
  });

  it('lists a dependId named twice once', () => {
    const schedule = applySchedule(node, [
      resource('ns', 'Namespace'),
      resource('cfg', 'ConfigMap', ['ns', 'ns']),
    ]);
    expect(schedule.prerequisites.get('cfg')).toEqual({ explicit: ['ns'], implicit: [] });
  });

  it('schedules an empty node', () => {
    expect(applySchedule(node, [])).toEqual({ prerequisites: new Map(), waves: [] });
  });
});

describe('Sink > plan > deletionWaves', () => {
  it('deletes in reverse: later tiers and dependents first, the Namespace last', () => {
    expect(
      deletionWaves(node, [
        resource('ns', 'Namespace'),
        resource('cfg', 'ConfigMap'),
        resource('migrate', 'Job'),
        resource('app', 'Deployment', ['migrate']),
        resource('svc', 'Service'),
        resource('cert', 'Certificate'),
      ]),
    ).toEqual([['cert'], ['svc'], ['app'], ['migrate'], ['cfg'], ['ns']]);
  });

  it('ignores dependencies on resources that are not being deleted', () => {
    expect(
      deletionWaves(node, [resource('app', 'Deployment', ['gone']), resource('cfg', 'ConfigMap')]),
    ).toEqual([['app'], ['cfg']]);
  });

  it('still refuses a cycle among the resources being deleted', () => {
    expect(
      thrown(() => deletionWaves(node, [resource('a', 'Secret', ['b']), resource('b', 'Secret', ['a'])]))
        .code,
    ).toBe('ROWKUBE_ERR_CONFIG');
  });
});
