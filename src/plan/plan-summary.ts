import { describeRef } from '../sink/kube/index.js';
import { type FieldGroup, fieldGroups } from './field-groups.js';
import {
  CHANGING_ACTIONS,
  FAILING_ACTIONS,
  type NodeAction,
  type NodePlan,
  type ObjectAction,
  type PlanResult,
} from './plan-types.js';

// A plan boiled down per form: node and object counts, grouped fields, and
// the lists an operator acts on (immutable fields, validation failures,
// render errors). Pure; the text and JSON reports both print this.

/** An object whose update hits an immutable field. */
export interface ImmutableEntry {
  node: string;
  resourceId: string;
  object: string;
  fields: string[];
  /** recreate: recreatePolicy OnImmutableChange deletes and creates it; fail: recreatePolicy Never, the apply fails. */
  outcome: 'recreate' | 'fail';
  message: string;
}

/** An object the sink would fail on (not an immutable field). */
export interface FailureEntry {
  node: string;
  resourceId: string;
  object: string;
  action: Extract<ObjectAction, 'invalid' | 'conflict' | 'error'>;
  message: string;
}

export interface FormSummary {
  form: string;
  nodes: Record<NodeAction, number>;
  objects: Partial<Record<ObjectAction, number>>;
  fields: FieldGroup[];
  immutable: ImmutableEntry[];
  failures: FailureEntry[];
  renderErrors: { node: string; message: string }[];
  deleted: { node: string; reason: string }[];
}

export interface PlanSummary {
  forms: FormSummary[];
  totals: Record<NodeAction, number>;
  /** 0: nothing would change; 2: something would; 1: errors (render errors, objects that would fail). */
  exitCode: 0 | 1 | 2;
}

const NO_NODES = (): Record<NodeAction, number> => ({
  change: 0,
  create: 0,
  delete: 0,
  unchanged: 0,
  error: 0,
});

export function summarize(result: PlanResult): PlanSummary {
  const byForm = new Map<string, NodePlan[]>();
  for (const node of result.nodes) byForm.set(node.form, [...(byForm.get(node.form) ?? []), node]);
  const forms = [...byForm.keys()].sort().map((form) => formSummary(form, byForm.get(form) ?? []));
  const totals = NO_NODES();
  for (const form of forms)
    for (const action of Object.keys(totals) as NodeAction[]) totals[action] += form.nodes[action];
  return { forms, totals, exitCode: exitCode(result.nodes) };
}

/** terraform plan -detailed-exitcode: 1 errors, 2 changes, 0 nothing to do. */
export function exitCode(nodes: readonly NodePlan[]): 0 | 1 | 2 {
  if (nodes.some((node) => node.action === 'error')) return 1;
  return nodes.some((node) => node.action !== 'unchanged') ? 2 : 0;
}

/** A node's action from its objects: errors first, then create and delete as the desired topic says, then change. */
export function nodeAction(
  objects: NodePlan['objects'],
  known: 'create' | 'delete' | 'exists',
  renderError?: string,
): NodeAction {
  if (renderError !== undefined || objects.some((object) => FAILING_ACTIONS.has(object.action)))
    return 'error';
  if (known === 'create' || known === 'delete') return known;
  return objects.some((object) => CHANGING_ACTIONS.has(object.action)) ? 'change' : 'unchanged';
}

function formSummary(form: string, nodes: NodePlan[]): FormSummary {
  const summary: FormSummary = {
    form,
    nodes: NO_NODES(),
    objects: {},
    fields: fieldGroups(nodes),
    immutable: [],
    failures: [],
    renderErrors: [],
    deleted: [],
  };
  for (const node of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    summary.nodes[node.action] += 1;
    if (node.renderError !== undefined)
      summary.renderErrors.push({ node: node.id, message: node.renderError });
    if (node.action === 'delete') summary.deleted.push({ node: node.id, reason: node.reason ?? 'deleted' });
    for (const object of node.objects) {
      summary.objects[object.action] = (summary.objects[object.action] ?? 0) + 1;
      const where = { node: node.id, resourceId: object.resourceId, object: describeRef(object.ref) };
      if (object.action === 'recreate' || object.action === 'immutable')
        summary.immutable.push({
          ...where,
          fields: object.immutableFields ?? [],
          outcome: object.action === 'recreate' ? 'recreate' : 'fail',
          message: object.error ?? '',
        });
      else if (object.action === 'invalid' || object.action === 'conflict' || object.action === 'error')
        summary.failures.push({ ...where, action: object.action, message: object.error ?? '' });
    }
  }
  return summary;
}
