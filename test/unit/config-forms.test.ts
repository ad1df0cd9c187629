import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/load-config.js';
import { ConfigError } from '../../src/core/config/load-config.js';
import { findCycle } from '../../src/core/dependency-cycle.js';

// The configuration sketch of DESIGN.md, as a user would write it.
const sketch = `
kafka: { brokers: [127.0.0.1:9092], topicPrefix: rowkube }
kubernetes: { fieldManager: rowkube, allowedNamespaces: ["tenant-*"] }
sources:
  - name: appdb
    mysql: { url: "mysql://cdc:pw@127.0.0.1:3306/app" }
    tables: [tenants, feature_flags]
hubs:
  - name: tenants
    source: appdb
    table: tenants
    uid: tenant_id
    activate: active
    values: { domain: domain, plan: plan, replicas: replicas }
    lookups: [{ name: features, table: feature_flags, key: tenant_id }]
forms:
  - name: web
    hub: tenants
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "tenant-{{ uid }}" } }
      - id: app
        dependIds: [ns]
        waitForReady: true
        manifest:
          apiVersion: apps/v1
          kind: Deployment
          metadata: { name: "{{ uid }}-app", namespace: "tenant-{{ uid }}" }
          spec: { replicas: "{{ replicas | to_int }}" }
`;

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'rowkube.yaml', {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('Config > hubs and forms', () => {
  it('reads the design sketch and fills every policy default', () => {
    const config = parseConfig(sketch, 'rowkube.yaml', {});
    expect(config.kubernetes).toEqual({
      fieldManager: 'rowkube',
      allowedNamespaces: ['tenant-*'],
      concurrency: 16,
      driftIntervalSeconds: 3600,
      retry: { initialSeconds: 1, maxSeconds: 60 },
    });
    expect(config.hubs[0]?.lookups).toEqual([{ name: 'features', table: 'feature_flags', key: 'tenant_id' }]);
    expect(config.forms[0]?.resources[0]).toMatchObject({
      id: 'ns',
      dependIds: [],
      waitForReady: false,
      timeoutSeconds: 300,
      skipOnDependencyFailure: true,
      creationPolicy: 'WhenNeeded',
      deletionPolicy: 'Delete',
      conflictPolicy: 'Stuck',
      ignoreFields: [],
    });
  });

  it('gives a capture-only configuration an empty set of hubs and forms', () => {
    const config = parseConfig(sketch.slice(0, sketch.indexOf('hubs:')), 'rowkube.yaml', {});
    expect(config.hubs).toEqual([]);
    expect(config.forms).toEqual([]);
    expect(config.kubernetes.allowedNamespaces).toEqual(['tenant-*']);
  });

  it('names a hub that reads a table the source does not capture', () => {
    expect(problemsOf(sketch.replace('    table: tenants\n', '    table: tenantz\n'))).toEqual([
      "11: hubs[0].table: source 'appdb' does not capture 'tenantz'; add it to sources[].tables (captured: tenants, feature_flags)",
    ]);
  });

  it('refuses a status table that the source captures, or in an unknown source', () => {
    const withStatus = (source: string, table: string) =>
      sketch.replace(
        '    lookups: [{ name: features',
        `    status:\n      source: ${source}\n      table: ${table}\n    lookups: [{ name: features`,
      );
    expect(problemsOf(withStatus('appdb', 'tenant_status'))).toEqual([]);
    expect(problemsOf(withStatus('appdb', 'feature_flags'))).toEqual([
      "17: hubs[0].status.table: source 'appdb' captures 'feature_flags' (sources[].tables): a status table must not be captured, or its writes would feed back as changes; use a table of its own",
    ]);
    expect(problemsOf(`${withStatus('appdb', 'tenant_status')}sink: { status: false }\n`)).toEqual([
      '16: hubs[0].status: a status table follows the status topic, which sink.status: false turns off; remove one of the two',
    ]);
    expect(problemsOf(withStatus('app', 'tenant_status'))).toEqual([
      "16: hubs[0].status.source: no source is named 'app'; sources: appdb",
    ]);
  });

  it('names an unknown hub, an unknown dependency and a duplicate resource id', () => {
    const text = sketch
      .replace('    hub: tenants', '    hub: tenant')
      .replace('dependIds: [ns]', 'dependIds: [nss]')
      .replace('      - id: app', '      - id: ns');
    expect(problemsOf(text)).toEqual([
      "18: forms[0].hub: no hub is named 'tenant'; hubs: tenants",
      "22: forms[0].resources[1].id: resource id 'ns' is used twice in form 'web'",
      "23: forms[0].resources[1].dependIds[0]: 'ns' depends on 'nss', which form 'web' does not have; ids: ns",
    ]);
  });

  it('reports a dependency cycle as a path', () => {
    const text = sketch.replace(
      '      - id: ns\n        manifest:',
      '      - id: ns\n        dependIds: [app]\n        manifest:',
    );
    expect(problemsOf(text)).toEqual([
      "21: forms[0].resources[0].dependIds: dependency cycle in form 'web': ns → app → ns; remove one of these dependIds",
    ]);
  });

  it('reports a template syntax error with its text and line', () => {
    const [problem] = problemsOf(sketch.replace('"{{ uid }}-app"', '"{{ uid -app"'));
    expect(problem).toMatch(/^28: forms\[0\]\.resources\[1\]\.manifest\.metadata\.name: .*"\{\{ uid -app"/);
  });

  it('refuses unknown policy values and keys', () => {
    const text = sketch.replace(
      '        waitForReady: true',
      '        waitForReady: true\n        deletionPolicy: Keep\n        dependsOn: [ns]',
    );
    expect(problemsOf(text)).toEqual([
      '25: forms[0].resources[1].deletionPolicy: Invalid option: expected one of "Delete"|"Retain"',
      "22: forms[0].resources[1]: unknown key 'dependsOn'; remove or correct it",
    ]);
  });
});

describe('Core > findCycle', () => {
  it('finds none in a DAG and the path of one in a cycle', () => {
    expect(
      findCycle(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toBeUndefined();
    expect(
      findCycle(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['a']]]))).toEqual(['a', 'a']);
  });
});
