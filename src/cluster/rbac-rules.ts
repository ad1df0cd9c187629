import { captureLeaseName } from '../contracts/index.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { literalNamespaces } from '../sink/index.js';
import { builtInKind, type KindResource } from './kube-kinds.js';

// The least-privilege RBAC rules a configuration needs (`rowkube rbac`), as
// plain data: what the Helm chart's rbac.yaml turns into a ClusterRole, Roles
// and their bindings. Derived from what the sink does with each kind the
// forms create, and from leader election:
//
//   create + patch   server-side apply is a PATCH; when it creates the object
//                    the API server also checks create (a PATCH alone gets 403)
//   patch            the merge patch that orphans a Retain object or adopts it back
//   get              the live object: readiness, drift, creationPolicy Once, ignoreFields
//   list             the inventory of owned objects, listed at start (labels)
//   delete           pruning, only for kinds some resource deletes (deletionPolicy
//                    Delete), and recreating (recreatePolicy OnImmutableChange)
//   leases           get, create, update of the capture Lease per source
//
// Namespaced kinds go in a Role per namespace when kubernetes.allowedNamespaces
// names them all literally (the sink then lists per namespace too), else in
// the ClusterRole. Discovery needs no rule: system:discovery grants it to
// every authenticated identity.

/** A rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The `rbac:` values of the Helm chart. */
export interface RbacValues {
  /** → ClusterRole + ClusterRoleBinding. */
  clusterRules: PolicyRule[];
  /** → a Role + RoleBinding per namespace. */
  namespacedRules: { namespace: string; rules: PolicyRule[] }[];
  /** → a Role in the Leases' namespace (leaderElection). */
  leaseRules: PolicyRule[];
}

export interface RbacPlan {
  values: RbacValues;
  /** Where each rule comes from, one line each, for the comment header. */
  reasons: string[];
  /** What the rules may not cover and a person should look at. */
  warnings: string[];
}

export type RbacConfig = Pick<RowkubeConfig, 'forms' | 'kubernetes' | 'leaderElection' | 'sources' | 'kafka'>;

/** `apiVersion|kind` → its resource; kinds missing from it come from the built-in table. */
export type KindResources = ReadonlyMap<string, KindResource>;

export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

/** The literal apiVersion and kind of every form resource; templated ones cannot be known before rendering. */
export function formKinds(forms: RbacConfig['forms']): { apiVersion: string; kind: string }[] {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const form of forms) {
    for (const { manifest } of form.resources) {
      const { apiVersion, kind } = manifest as { apiVersion: string; kind: string };
      if (!isTemplate(apiVersion) && !isTemplate(kind))
        kinds.set(kindKey(apiVersion, kind), { apiVersion, kind });
    }
  }
  return [...kinds.values()];
}

// watch: the sink's cache of owned objects (readiness and drift from watch events).
const APPLY_VERBS = ['get', 'list', 'watch', 'create', 'patch'] as const;
const LEASE_GROUP = 'coordination.k8s.io';

interface KindUse {
  kind: string;
  resource: KindResource;
  forms: Set<string>;
  deletes: boolean;
}

/** The rules `config` needs; `resources` resolves kinds (discovery), the built-in table the rest. */
export function deriveRbac(config: RbacConfig, resources: KindResources = new Map()): RbacPlan {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const uses = new Map<string, KindUse>();
  for (const form of config.forms) {
    for (const resource of form.resources) {
      const { apiVersion, kind } = resource.manifest as { apiVersion: string; kind: string };
      if (isTemplate(apiVersion) || isTemplate(kind)) {
        warnings.push(
          `form ${form.name}, resource ${resource.id}: apiVersion or kind is a template; add the rules for the kinds it renders by hand`,
        );
        continue;
      }
      const key = kindKey(apiVersion, kind);
      const use = uses.get(key) ?? {
        kind,
        resource: resources.get(key) ?? builtInKind(apiVersion, kind),
        forms: new Set<string>(),
        deletes: false,
      };
      use.forms.add(form.name);
      // A Retain object is still deleted to recreate it when a change is immutable.
      if (resource.deletionPolicy === 'Delete' || resource.recreatePolicy === 'OnImmutableChange')
        use.deletes = true;
      uses.set(key, use);
    }
  }

  const literal = literalNamespaces(config.kubernetes.allowedNamespaces);
  const clusterRules: PolicyRule[] = [];
  const perNamespace: PolicyRule[] = [];
  for (const use of [...uses.values()].sort(byGroupAndPlural)) {
    const { group, plural, namespaced, known } = use.resource;
    const verbs: string[] = [...APPLY_VERBS, ...(use.deletes ? ['delete'] : [])];
    const where = namespaced
      ? literal === undefined
        ? 'in any namespace (allowedNamespaces has a wildcard)'
        : `in ${literal.length === 0 ? 'no namespace' : literal.join(', ')}`
      : 'cluster-scoped';
    reasons.push(
      `${use.kind} (${group || 'core'}) from form${use.forms.size > 1 ? 's' : ''} ${[...use.forms].join(', ')}: ` +
        `${plural} ${verbs.join(', ')}, ${where}${use.deletes ? '' : '; no delete: every resource of it is Retain, none OnImmutableChange'}`,
    );
    if (!known)
      warnings.push(
        `${use.kind} (${group || 'core'}) is not in the built-in table: resource "${plural}", namespaced, is a guess; ` +
          'run with --kubeconfig to ask the API server',
      );
    if (group === 'rbac.authorization.k8s.io')
      warnings.push(
        `${use.kind}: to create RBAC objects rowkube must hold every right they grant (or the verbs bind and escalate)`,
      );
    if (namespaced) {
      const rule = { apiGroups: [group], resources: [plural], verbs };
      (literal === undefined ? clusterRules : perNamespace).push(rule);
    } else if (group === '' && use.kind === 'Namespace' && literal !== undefined) {
      if (use.deletes)
        warnings.push(
          'Namespace with deletionPolicy Delete: pruning a Namespace deletes the Role that grants rowkube its rights ' +
            'in it, so the tenant cannot come back; give the Namespace resource deletionPolicy Retain',
        );
      // Namespaces rowkube creates are among the allowed ones, so their names
      // are known: writes are restricted to them. The inventory lists
      // Namespaces by label, which resourceNames cannot restrict.
      clusterRules.push({ apiGroups: [''], resources: ['namespaces'], verbs: ['list', 'watch'] });
      if (literal.length > 0)
        clusterRules.push({
          apiGroups: [''],
          resources: ['namespaces'],
          verbs: verbs.filter((verb) => verb !== 'list' && verb !== 'watch'),
          resourceNames: literal,
        });
    } else clusterRules.push({ apiGroups: [group], resources: [plural], verbs });
  }

  const leaseRules: PolicyRule[] = [];
  if (config.leaderElection.enabled) {
    const names = config.sources.map((source) => captureLeaseName(config.kafka.topicPrefix, source.name));
    // resourceNames cannot restrict create: the name is not known when a create is authorized.
    leaseRules.push({ apiGroups: [LEASE_GROUP], resources: ['leases'], verbs: ['create'] });
    if (names.length > 0)
      leaseRules.push({
        apiGroups: [LEASE_GROUP],
        resources: ['leases'],
        verbs: ['get', 'update'],
        resourceNames: names,
      });
    reasons.push(
      `Lease (${LEASE_GROUP}) for leader election of capture: leases create, get, update` +
        (names.length > 0 ? ` (${names.join(', ')})` : '') +
        `, in ${config.leaderElection.namespace ?? "the pod's namespace"}`,
    );
  } else reasons.push('Lease: none, leaderElection.enabled is false');

  return {
    values: {
      clusterRules: mergeRules(clusterRules),
      namespacedRules:
        perNamespace.length === 0
          ? []
          : (literal ?? []).map((namespace) => ({ namespace, rules: mergeRules(perNamespace) })),
      leaseRules,
    },
    reasons,
    warnings,
  };
}

/** Rules that differ only in their resources become one rule listing them all. */
function mergeRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const merged = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const key = JSON.stringify([rule.apiGroups, rule.verbs, rule.resourceNames ?? null]);
    const known = merged.get(key);
    if (known === undefined) merged.set(key, { ...rule, resources: [...rule.resources] });
    else if (!known.resources.includes(rule.resources[0] as string)) known.resources.push(...rule.resources);
  }
  return [...merged.values()];
}

function byGroupAndPlural(a: KindUse, b: KindUse): number {
  const x = `${a.resource.group}/${a.resource.plural}`;
  const y = `${b.resource.group}/${b.resource.plural}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

function isTemplate(text: string): boolean {
  return text.includes('{');
}
