import { isNodeState, NODE_STATES, type NodeState, type NodeStatus } from '../../contracts/index.js';

// What the dashboard's node list shows and its summary counts: plain
// functions over the statuses the status topic holds, so the filters a person
// sets in the page (state, form, text) are tested without a browser.

export interface NodeFilter {
  state?: NodeState;
  form?: string;
  hub?: string;
  /** Case-insensitive; matches the node id, the error code and the error message. */
  text?: string;
}

/** Node counts of one form, by state. */
export interface FormSummary {
  form: string;
  total: number;
  states: Record<NodeState, number>;
}

export interface HubSummary {
  hub: string;
  total: number;
  states: Record<NodeState, number>;
  forms: FormSummary[];
}

/** A query the dashboard's API cannot answer: the server says why with a 400. */
export class BadQuery extends Error {}

/**
 * The filter of a `/ui/api/nodes` query (`state`, `form`, `hub`, `q`); empty
 * parameters are no filter. Throws BadQuery naming a state it does not know.
 */
export function parseNodeFilter(params: URLSearchParams): NodeFilter {
  const filter: NodeFilter = {};
  const state = params.get('state') ?? '';
  if (state !== '') {
    if (!isNodeState(state))
      throw new BadQuery(
        `the query parameter state=${JSON.stringify(state)} is not a node state; use one of ${NODE_STATES.join(', ')}`,
      );
    filter.state = state;
  }
  const form = params.get('form') ?? '';
  if (form !== '') filter.form = form;
  const hub = params.get('hub') ?? '';
  if (hub !== '') filter.hub = hub;
  const text = (params.get('q') ?? '').trim();
  if (text !== '') filter.text = text;
  return filter;
}

export function matchesFilter(node: NodeStatus, filter: NodeFilter): boolean {
  if (filter.state !== undefined && node.state !== filter.state) return false;
  if (filter.form !== undefined && node.form !== filter.form) return false;
  if (filter.hub !== undefined && node.hub !== filter.hub) return false;
  if (filter.text !== undefined) {
    const needle = filter.text.toLowerCase();
    const haystack = [node.nodeId, node.error?.code ?? '', node.error?.message ?? ''];
    if (!haystack.some((field) => field.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** The matching nodes, in the order given. */
export function filterNodes(nodes: readonly NodeStatus[], filter: NodeFilter): NodeStatus[] {
  return nodes.filter((node) => matchesFilter(node, filter));
}

function noStates(): Record<NodeState, number> {
  return Object.fromEntries(NODE_STATES.map((state) => [state, 0])) as Record<NodeState, number>;
}

/** Hubs and their forms, each with node counts by state, sorted by name. */
export function summarizeByHub(nodes: readonly NodeStatus[]): HubSummary[] {
  const hubs = new Map<string, HubSummary>();
  const forms = new Map<string, FormSummary>();
  for (const node of nodes) {
    let hub = hubs.get(node.hub);
    if (hub === undefined) {
      hub = { hub: node.hub, total: 0, states: noStates(), forms: [] };
      hubs.set(node.hub, hub);
    }
    const formKey = `${node.hub}\u0000${node.form}`;
    let form = forms.get(formKey);
    if (form === undefined) {
      form = { form: node.form, total: 0, states: noStates() };
      forms.set(formKey, form);
      hub.forms.push(form);
    }
    hub.total += 1;
    hub.states[node.state] += 1;
    form.total += 1;
    form.states[node.state] += 1;
  }
  const byName =
    <T>(name: (t: T) => string) =>
    (a: T, b: T) =>
      name(a).localeCompare(name(b));
  const sorted = [...hubs.values()].sort(byName((h) => h.hub));
  for (const hub of sorted) hub.forms.sort(byName((f) => f.form));
  return sorted;
}
