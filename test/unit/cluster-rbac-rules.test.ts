import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/cli/load-config.js';
import { builtInKind, guessPlural } from '../../src/cluster/kube-kinds.js';
import { rbacManifests } from '../../src/cluster/rbac-manifests.js';
import { deriveRbac, kindKey } from '../../src/cluster/rbac-rules.js';
import { captureLeaseName } from '../../src/contracts/index.js';

function config(options: { allowed: string; leader?: boolean; extra?: string }) {
  return parseConfig(
    `
kafka: { brokers: [127.0.0.1:9092], topicPrefix: Shop }
kubernetes: { allowedNamespaces: ${options.allowed} }
leaderElection: { enabled: ${options.leader ?? false} }
sources:
  - name: appdb
    mysql: { url: "mysql://cdc:pw@127.0.0.1:3306/app" }
    tables: [tenants]
hubs:
  - { name: tenants, source: appdb, table: tenants, uid: id }
forms:
  - name: web
    hub: tenants
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "tenant-a" } }
      - id: cm
        manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "{{ uid }}", namespace: tenant-a } }
      - id: app
        deletionPolicy: Retain
        manifest: { apiVersion: apps/v1, kind: Deployment, metadata: { name: "{{ uid }}", namespace: tenant-a } }
${options.extra ?? ''}
`,
    'rowkube.yaml',
    {},
  );
}

const APPLY = ['get', 'list', 'watch', 'create', 'patch'];

describe('Cluster > RBAC rules > deriveRbac', () => {
  it('puts namespaced kinds in the ClusterRole when allowedNamespaces has a wildcard', () => {
    const { values, reasons } = deriveRbac(config({ allowed: '["tenant-*"]' }));
    expect(values.namespacedRules).toEqual([]);
    expect(values.clusterRules).toEqual([
      { apiGroups: [''], resources: ['configmaps', 'namespaces'], verbs: [...APPLY, 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: APPLY },
    ]);
    expect(reasons[0]).toMatch(/^ConfigMap \(core\) from form web: configmaps .*any namespace/);
  });

  it('gives no delete for a kind whose resources are all Retain', () => {
    const { values, reasons } = deriveRbac(config({ allowed: '["tenant-*"]' }));
    expect(values.clusterRules.find((r) => r.apiGroups[0] === 'apps')?.verbs).not.toContain('delete');
    expect(reasons.find((r) => r.startsWith('Deployment'))).toMatch(/no delete/);
  });

  it('gives delete to a Retain kind when a resource of it may be recreated (recreatePolicy OnImmutableChange)', () => {
    const extra = `      - id: worker
        deletionPolicy: Retain
        recreatePolicy: OnImmutableChange
        manifest: { apiVersion: apps/v1, kind: Deployment, metadata: { name: "w-{{ uid }}", namespace: tenant-a } }`;
    const { values, reasons } = deriveRbac(config({ allowed: '["tenant-*"]', extra }));
    expect(values.clusterRules.find((r) => r.apiGroups[0] === 'apps')?.verbs).toEqual([...APPLY, 'delete']);
    expect(reasons.find((r) => r.startsWith('Deployment'))).not.toMatch(/no delete/);
  });

  it('gives a Role per literal namespace and restricts Namespace writes to their names', () => {
    const { values } = deriveRbac(config({ allowed: '[tenant-a, tenant-b]' }));
    const rules = [
      { apiGroups: [''], resources: ['configmaps'], verbs: [...APPLY, 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: APPLY },
    ];
    expect(values.namespacedRules).toEqual([
      { namespace: 'tenant-a', rules },
      { namespace: 'tenant-b', rules },
    ]);
    expect(values.clusterRules).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
      {
        apiGroups: [''],
        resources: ['namespaces'],
        verbs: ['get', 'create', 'patch', 'delete'],
        resourceNames: ['tenant-a', 'tenant-b'],
      },
    ]);
  });

  it('warns that pruning a Namespace takes the Role in it along, with literal namespaces only', () => {
    expect(deriveRbac(config({ allowed: '[tenant-a]' })).warnings.join('\n')).toMatch(
      /Namespace with deletionPolicy Delete: .*Retain/,
    );
    expect(deriveRbac(config({ allowed: '["tenant-*"]' })).warnings).toEqual([]);
  });

  it('grants no Namespace write at all when no namespace is allowed', () => {
    const { values } = deriveRbac(config({ allowed: '[]' }));
    expect(values.namespacedRules).toEqual([]);
    expect(values.clusterRules).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] },
    ]);
  });

  it('asks for the capture Leases by name, create unrestricted, only with leader election', () => {
    expect(deriveRbac(config({ allowed: '["*"]' })).values.leaseRules).toEqual([]);
    const { values } = deriveRbac(config({ allowed: '["*"]', leader: true }));
    expect(values.leaseRules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'update'],
        resourceNames: [captureLeaseName('Shop', 'appdb')],
      },
    ]);
  });

  it('warns about unknown kinds, templated kinds and RBAC kinds, and takes discovery over the table', () => {
    const extra = `
  - name: more
    hub: tenants
    resources:
      - id: db
        manifest: { apiVersion: example.com/v1, kind: Database, metadata: { name: x, namespace: tenant-a } }
      - id: any
        manifest: { apiVersion: v1, kind: "{{ kind }}", metadata: { name: x, namespace: tenant-a } }
      - id: role
        manifest: { apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: { name: x, namespace: tenant-a } }`;
    const plan = deriveRbac(config({ allowed: '["*"]', extra }));
    expect(plan.warnings.join('\n')).toMatch(/Database .*"databases", namespaced, is a guess/);
    expect(plan.warnings.join('\n')).toMatch(/resource any: apiVersion or kind is a template/);
    expect(plan.warnings.join('\n')).toMatch(/Role: .*bind and escalate/);
    const discovered = new Map([
      [
        kindKey('example.com/v1', 'Database'),
        { group: 'example.com', plural: 'dbs', namespaced: false, known: true },
      ],
    ]);
    const exact = deriveRbac(config({ allowed: '[tenant-a]', extra }), discovered);
    expect(exact.values.clusterRules).toContainEqual({
      apiGroups: ['example.com'],
      resources: ['dbs'],
      verbs: [...APPLY, 'delete'],
    });
    expect(exact.warnings.join('\n')).not.toMatch(/guess/);
  });
});

describe('Cluster > RBAC rules > kinds', () => {
  it('knows common kinds and guesses the rest as the API server pluralises', () => {
    expect(builtInKind('networking.k8s.io/v1', 'Ingress')).toEqual({
      group: 'networking.k8s.io',
      plural: 'ingresses',
      namespaced: true,
      known: true,
    });
    expect(builtInKind('v1', 'Namespace').namespaced).toBe(false);
    expect(['Policy', 'Gateway', 'Box', 'Mesh', 'Widget'].map(guessPlural)).toEqual([
      'policies',
      'gateways',
      'boxes',
      'meshes',
      'widgets',
    ]);
  });
});

describe('Cluster > RBAC rules > manifests', () => {
  it('binds a ClusterRole, a Role per namespace and the Lease Role to the ServiceAccount', () => {
    const { values } = deriveRbac(config({ allowed: '[tenant-a]', leader: true }));
    const objects = rbacManifests(values, { namespace: 'ops', name: 'rowkube' }) as {
      kind: string;
      metadata: { name: string; namespace?: string };
    }[];
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'ClusterRole//rowkube-ops',
      'ClusterRoleBinding//rowkube-ops',
      'Role/tenant-a/rowkube',
      'RoleBinding/tenant-a/rowkube',
      'Role/ops/rowkube-leader-election',
      'RoleBinding/ops/rowkube-leader-election',
    ]);
  });
});
