import { describe, expect, it } from 'vitest';
import { fieldGroups } from '../../src/plan/field-groups.js';
import { nodeText, planJson, planText } from '../../src/plan/plan-report.js';
import { exitCode, nodeAction, summarize } from '../../src/plan/plan-summary.js';
import type { NodePlan, ObjectPlan, PlanResult } from '../../src/plan/plan-types.js';

const ref = (kind: string, name: string) => ({
  apiVersion: kind === 'ConfigMap' ? 'v1' : 'apps/v1',
  kind,
  namespace: 'tenants',
  name,
});
const image = { path: 'spec.template.spec.containers[0].image', old: 'nginx:1.27', new: 'nginx:1.28' };

function changed(uid: string): NodePlan {
  const objects: ObjectPlan[] = [
    { resourceId: 'config', ref: ref('ConfigMap', `${uid}-config`), action: 'unchanged', changes: [] },
    { resourceId: 'app', ref: ref('Deployment', `${uid}-app`), action: 'update', changes: [image] },
    {
      resourceId: 'side',
      ref: ref('Deployment', `${uid}-side`),
      action: 'recreate',
      changes: [image, { path: 'spec.selector.matchLabels.app', old: 'side', new: 'side2' }],
      immutableFields: ['spec.selector'],
      error: 'Deployment.apps "side" is invalid: spec.selector: Invalid value: …: field is immutable',
    },
  ];
  return { id: `web/${uid}`, form: 'web', action: 'change', objects };
}

const result = (nodes: NodePlan[]): PlanResult => ({
  configFile: 'new.yaml',
  prefix: 'rk',
  read: { changeRecords: 3, desiredNodes: nodes.length },
  nodes,
});

describe('Plan > fieldGroups', () => {
  it('counts each kind and path once per node, most nodes first', () => {
    const groups = fieldGroups([changed('a'), changed('b')]);
    expect(groups).toEqual([
      { kind: 'Deployment', path: 'spec.selector.matchLabels.app', nodes: 2, recreated: true },
      { kind: 'Deployment', path: 'spec.template.spec.containers[0].image', nodes: 2, recreated: true },
    ]);
  });
});

describe('Plan > summarize', () => {
  it('counts nodes and objects per form and lists immutable objects, failures and render errors', () => {
    const invalid: NodePlan = {
      id: 'web/c',
      form: 'web',
      action: 'error',
      objects: [
        {
          resourceId: 'app',
          ref: ref('Deployment', 'c-app'),
          action: 'invalid',
          changes: [],
          error: 'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
        },
      ],
    };
    const unrendered: NodePlan = {
      id: 'web/d',
      form: 'web',
      action: 'error',
      objects: [],
      renderError: 'ROWKUBE_ERR_TEMPLATE: form web resource app: …',
    };
    const gone: NodePlan = {
      id: 'web/e',
      form: 'web',
      action: 'delete',
      reason: 'inactive',
      objects: [{ resourceId: 'app', ref: ref('Deployment', 'e-app'), action: 'delete', changes: [] }],
    };
    const summary = summarize(result([changed('a'), invalid, unrendered, gone]));
    expect(summary.exitCode).toBe(1);
    expect(summary.totals).toEqual({ change: 1, create: 0, delete: 1, unchanged: 0, error: 2 });
    const [web] = summary.forms;
    expect(web?.objects).toEqual({ unchanged: 1, update: 1, recreate: 1, invalid: 1, delete: 1 });
    expect(web?.immutable).toEqual([
      {
        node: 'web/a',
        resourceId: 'side',
        object: 'Deployment/tenants/a-side',
        fields: ['spec.selector'],
        outcome: 'recreate',
        message: 'Deployment.apps "side" is invalid: spec.selector: Invalid value: …: field is immutable',
      },
    ]);
    expect(web?.failures).toEqual([
      {
        node: 'web/c',
        resourceId: 'app',
        object: 'Deployment/tenants/c-app',
        action: 'invalid',
        message: 'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      },
    ]);
    expect(web?.renderErrors).toEqual([
      { node: 'web/d', message: 'ROWKUBE_ERR_TEMPLATE: form web resource app: …' },
    ]);
    expect(web?.deleted).toEqual([{ node: 'web/e', reason: 'inactive' }]);
  });
});

describe('Plan > exit code', () => {
  const unchanged: NodePlan = { id: 'web/u', form: 'web', action: 'unchanged', objects: [] };
  it('is 0 without changes, 2 with changes, 1 with errors', () => {
    expect(exitCode([])).toBe(0);
    expect(exitCode([unchanged])).toBe(0);
    expect(exitCode([unchanged, changed('a')])).toBe(2);
    expect(exitCode([changed('a'), { ...unchanged, action: 'error' }])).toBe(1);
  });

  it('makes a node an error when an object would fail: an immutable field under Never, a conflict', () => {
    const object = (action: ObjectPlan['action']): ObjectPlan => ({
      resourceId: 'app',
      ref: ref('Deployment', 'x'),
      action,
      changes: [],
    });
    expect(nodeAction([object('update')], 'exists')).toBe('change');
    expect(nodeAction([object('unchanged')], 'exists')).toBe('unchanged');
    expect(nodeAction([object('create')], 'create')).toBe('create');
    expect(nodeAction([object('recreate')], 'exists')).toBe('change');
    expect(nodeAction([object('immutable')], 'exists')).toBe('error');
    expect(nodeAction([object('conflict')], 'exists')).toBe('error');
    expect(nodeAction([], 'exists', 'ROWKUBE_ERR_TEMPLATE: …')).toBe('error');
  });
});

describe('Plan > report', () => {
  it('prints per form the counts, the grouped fields and the immutable objects', () => {
    const plan = result([changed('a'), changed('b')]);
    expect(planText(plan, summarize(plan))).toBe(
      [
        'Plan of new.yaml (topic prefix rk): 2 node records in rk.desired, 3 change records read',
        '',
        'form web: 2 to change, 0 to create, 0 to delete, 0 unchanged, 0 with errors',
        '  objects: 2 recreate, 2 unchanged, 2 update',
        '  fields that change:',
        '    Deployment spec.selector.matchLabels.app: 2 nodes (some objects recreated)',
        '    Deployment spec.template.spec.containers[0].image: 2 nodes (some objects recreated)',
        '  immutable fields (2 objects):',
        '    web/a side Deployment/tenants/a-side: spec.selector is immutable; would be deleted and created again (recreatePolicy OnImmutableChange)',
        '    web/b side Deployment/tenants/b-side: spec.selector is immutable; would be deleted and created again (recreatePolicy OnImmutableChange)',
        '',
        'Plan: 2 to change, 0 to create, 0 to delete, 0 unchanged, 0 with errors.',
        '',
      ].join('\n'),
    );
  });

  it('cuts long lists in the text and says where the rest is', () => {
    const nodes = Array.from({ length: 25 }, (_, i) => changed(`n${String(i).padStart(2, '0')}`));
    const plan = result(nodes);
    const text = planText(plan, summarize(plan));
    expect(text).toContain('    … and 5 more (--output json lists every one)');
    expect(text).toContain('Deployment spec.template.spec.containers[0].image: 25 nodes');
  });

  it("prints one node's objects with each field old → new", () => {
    expect(nodeText(changed('a'))).toBe(
      [
        'node web/a (form web): change',
        '  ConfigMap/tenants/a-config (config): unchanged',
        '  Deployment/tenants/a-app (app): update',
        '    spec.template.spec.containers[0].image: "nginx:1.27" → "nginx:1.28"',
        '  Deployment/tenants/a-side (side): recreate; immutable: spec.selector',
        '    Deployment.apps "side" is invalid: spec.selector: Invalid value: …: field is immutable',
        '    spec.template.spec.containers[0].image: "nginx:1.27" → "nginx:1.28"',
        '    spec.selector.matchLabels.app: "side" → "side2"',
        '',
      ].join('\n'),
    );
  });

  it('gives machines the summary, every node and the exit code as JSON', () => {
    const plan = result([changed('a')]);
    const json = JSON.parse(planJson(plan, summarize(plan))) as Record<string, unknown>;
    expect(json.exitCode).toBe(2);
    expect(json.totals).toEqual({ change: 1, create: 0, delete: 0, unchanged: 0, error: 0 });
    expect((json.nodes as NodePlan[])[0]?.objects[1]?.changes).toEqual([image]);
  });
});
