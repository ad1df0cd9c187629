import { formatManifestPath } from './manifest-path.js';
import { quoteForMessage, RenderError, RenderErrorCode, type RenderSite } from './render-error.js';

// Kubernetes naming rules, checked after rendering: a name built from a row
// value ("{{ company }}-app" with company "Acme Inc.") is refused here with
// the fix, per node, instead of by the API server at apply time. Rules as in
// k8s.io/apimachinery/pkg/util/validation.

/** One naming rule: a check that returns what is wrong, or undefined. */
export interface NameRule {
  /** "a DNS-1123 label", used in messages. */
  readonly name: string;
  /** The rule in words, for the user who broke it. */
  readonly description: string;
  readonly hint: string;
  problem(value: string): string | undefined;
}

interface Shape {
  max: number;
  /** Every character. */
  chars: RegExp;
  first: RegExp;
  last: RegExp;
  allowEmpty?: boolean;
}

const ALNUM_LOWER = /[a-z0-9]/;
const ALNUM = /[A-Za-z0-9]/;

/** What is wrong with a value of a given shape, precisely enough to fix it. */
function shapeProblem(value: string, shape: Shape): string | undefined {
  if (value === '') return shape.allowEmpty ? undefined : 'it is empty';
  if (value.length > shape.max) return `it has ${value.length} characters, at most ${shape.max} are allowed`;
  const bad = Array.from(value).find((c) => !shape.chars.test(c));
  if (bad !== undefined) return `it contains ${JSON.stringify(bad)}`;
  if (!shape.first.test(value.charAt(0))) return `it starts with ${JSON.stringify(value.charAt(0))}`;
  if (!shape.last.test(value.charAt(value.length - 1))) {
    return `it ends with ${JSON.stringify(value.charAt(value.length - 1))}`;
  }
  return undefined;
}

function rule(name: string, description: string, hint: string, shape: Shape): NameRule {
  return { name, description, hint, problem: (value) => shapeProblem(value, shape) };
}

/** Namespace names and metadata.namespace. */
export const dns1123Label = rule(
  'a DNS-1123 label',
  "at most 63 characters: lowercase letters, digits and '-', starting and ending with a letter or digit",
  'derive it from row values with | dns_label, or shorten it with | trunc63',
  { max: 63, chars: /[-a-z0-9]/, first: ALNUM_LOWER, last: ALNUM_LOWER },
);

/** Service names: a DNS-1123 label that starts with a letter. */
export const dns1035Label = rule(
  'a DNS-1035 label',
  "at most 63 characters: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit",
  'start it with a fixed letter and derive the rest with | dns_label, e.g. "svc-{{ uid | dns_label }}"',
  { max: 63, chars: /[-a-z0-9]/, first: /[a-z]/, last: ALNUM_LOWER },
);

const SUBDOMAIN_PART: Shape = { max: 253, chars: /[-a-z0-9]/, first: ALNUM_LOWER, last: ALNUM_LOWER };

/** metadata.name of most kinds, custom resources included. */
export const dns1123Subdomain: NameRule = {
  name: 'a DNS-1123 subdomain',
  description:
    "at most 253 characters: lowercase letters, digits, '-' and '.', each '.'-separated part starting and ending with a letter or digit",
  hint: 'derive it from row values with | dns_label',
  problem: (value) => {
    const whole = shapeProblem(value, { ...SUBDOMAIN_PART, chars: /[-.a-z0-9]/ });
    if (whole) return whole;
    for (const part of value.split('.')) {
      const problem = shapeProblem(part, SUBDOMAIN_PART);
      if (problem) return `its part ${JSON.stringify(part)}: ${problem}`;
    }
    return undefined;
  },
};

/** Label values, and the name part of label and annotation keys. */
export const labelValue = rule(
  'a label value',
  "empty, or at most 63 characters: letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
  'shorten it with | trunc63, or derive it with | dns_label',
  { max: 63, chars: /[-A-Za-z0-9_.]/, first: ALNUM, last: ALNUM, allowEmpty: true },
);

/**
 * CronJob names: each Job is named "<cronjob>-<11 characters>" and that name
 * lands in a label value (at most 63), so the API server allows 52.
 */
const cronJobName: NameRule = {
  name: 'a CronJob name',
  description: `${dns1123Subdomain.description}, and at most 52 characters`,
  hint: 'derive it with | dns_label and keep it at most 52 characters (| slice: 0, 52)',
  problem: (value) =>
    dns1123Subdomain.problem(value) ??
    (value.length > 52 ? `it has ${value.length} characters, at most 52 are allowed` : undefined),
};

/** RBAC names may hold ':' ("system:…"), only '/', '%', "." and ".." are out. */
const pathSegmentName: NameRule = {
  name: 'an RBAC name',
  description: "not empty, '.' or '..', and without '/' or '%'",
  hint: "remove '/' and '%' from it",
  problem: (value) => {
    if (value === '' || value === '.' || value === '..') return `it is ${JSON.stringify(value)}`;
    return /[/%]/.test(value) ? "it contains '/' or '%'" : undefined;
  },
};

/** Label and annotation keys: an optional DNS subdomain prefix and '/', then a name. */
export const qualifiedName: NameRule = {
  name: 'a label or annotation key',
  description: `an optional DNS-1123 subdomain prefix and '/', then a name of ${labelValue.description.replace('empty, or ', '')}`,
  hint: 'keys are not templated: correct the key in the form',
  problem: (value) => {
    const parts = value.split('/');
    if (parts.length > 2) return "it has more than one '/'";
    const name = parts.at(-1) ?? '';
    if (parts.length === 2) {
      const prefixProblem = dns1123Subdomain.problem(parts[0] ?? '');
      if (prefixProblem) return `its prefix is not a DNS-1123 subdomain: ${prefixProblem}`;
    }
    if (name === '') return 'its name part is empty';
    return labelValue.problem(name);
  },
};

/** Annotation values: any text, but text; a number in the form would fail at apply. */
const anyText: NameRule = {
  name: 'text',
  description: 'any string',
  hint: 'quote it in the form',
  problem: () => undefined,
};

const RBAC = 'rbac.authorization.k8s.io/v1';

/** The rule for metadata.name by "apiVersion kind"; anything not listed is a DNS-1123 subdomain. */
const NAME_RULES: Readonly<Record<string, NameRule>> = {
  'v1 Namespace': dns1123Label,
  'v1 Service': dns1035Label,
  'batch/v1 CronJob': cronJobName,
  [`${RBAC} Role`]: pathSegmentName,
  [`${RBAC} ClusterRole`]: pathSegmentName,
  [`${RBAC} RoleBinding`]: pathSegmentName,
  [`${RBAC} ClusterRoleBinding`]: pathSegmentName,
};

/** The rule metadata.name must follow for a kind. */
export function nameRuleFor(apiVersion: unknown, kind: unknown): NameRule {
  return NAME_RULES[`${String(apiVersion)} ${String(kind)}`] ?? dns1123Subdomain;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Check {
  path: (string | number)[];
  /** What the value is, for the message: "metadata.name of a Service". */
  what: string;
  value: unknown;
  rule: NameRule;
}

/**
 * Checks a rendered manifest's names against Kubernetes rules: metadata.name
 * (by kind), metadata.namespace, and the keys and values of labels wherever
 * they appear (metadata of the resource and of templates inside it, label
 * selectors), plus annotation keys. Throws RenderError (ROWKUBE_ERR_INVALID_NAME)
 * for the first value that breaks its rule, naming the path, the value, the
 * rule and the fix.
 */
export function validateRenderedNames(resource: unknown, site: RenderSite): void {
  if (!isObject(resource)) return;
  const checks: Check[] = [];
  const metadata = resource.metadata;
  if (isObject(metadata)) {
    if (metadata.name !== undefined) {
      const nameRule = nameRuleFor(resource.apiVersion, resource.kind);
      checks.push({
        path: ['metadata', 'name'],
        what: `the name of a ${String(resource.kind)}`,
        value: metadata.name,
        rule: nameRule,
      });
    }
    if (metadata.namespace !== undefined) {
      checks.push({
        path: ['metadata', 'namespace'],
        what: 'a namespace',
        value: metadata.namespace,
        rule: dns1123Label,
      });
    }
  }
  collectLabelChecks(resource, [], checks, resource.apiVersion === 'v1' && resource.kind === 'Service');

  for (const check of checks) {
    const problem = describeProblem(check);
    if (problem) {
      throw new RenderError(RenderErrorCode.INVALID_NAME, site, formatManifestPath(check.path), problem);
    }
  }
}

function describeProblem({ what, value, rule }: Check): string | undefined {
  if (typeof value !== 'string') {
    return `${what} must be a string, not ${value === null ? 'null' : typeof value}; quote it in the form`;
  }
  const problem = rule.problem(value);
  if (!problem) return undefined;
  return `${what} ${quoteForMessage(value, 80)} is not ${rule.name} (${problem}); ${rule.name} is ${rule.description}; ${rule.hint}`;
}

/** Label maps are found by where they sit: metadata.labels, matchLabels, and a Service's spec.selector. */
function collectLabelChecks(
  node: unknown,
  path: (string | number)[],
  checks: Check[],
  isService: boolean,
): void {
  if (Array.isArray(node)) {
    node.forEach((item, index) => {
      collectLabelChecks(item, [...path, index], checks, isService);
    });
    return;
  }
  if (!isObject(node)) return;
  const parent = path.at(-1);
  for (const [key, value] of Object.entries(node)) {
    const here = [...path, key];
    const isLabelMap =
      (parent === 'metadata' && key === 'labels') ||
      key === 'matchLabels' ||
      (isService && path.length === 1 && parent === 'spec' && key === 'selector');
    if (isLabelMap && isObject(value)) {
      for (const [labelKey, labelValueOf] of Object.entries(value)) {
        checks.push({ path: here, what: 'a label key', value: labelKey, rule: qualifiedName });
        checks.push({
          path: [...here, labelKey],
          what: `the value of label ${JSON.stringify(labelKey)}`,
          value: labelValueOf,
          rule: labelValue,
        });
      }
    } else if (parent === 'metadata' && key === 'annotations' && isObject(value)) {
      for (const annotationKey of Object.keys(value)) {
        checks.push({ path: here, what: 'an annotation key', value: annotationKey, rule: qualifiedName });
        checks.push({
          path: [...here, annotationKey],
          what: `the value of annotation ${JSON.stringify(annotationKey)}`,
          value: value[annotationKey],
          rule: anyText,
        });
      }
    } else {
      collectLabelChecks(value, here, checks, isService);
    }
  }
}
