import type { ObjectRef } from '../sink/kube/index.js';

// What `rowkube plan` finds, as plain data: per node, per object, what the
// sink would do with the new configuration. The report (text, JSON) and the
// exit code are computed from these alone, so they are unit-tested without
// Kafka or a cluster.

/** One field that differs: `path` as ignoreFields writes it; an absent side is a field that is not there. */
export interface FieldChange {
  path: string;
  /** The live value; absent when the field is added. */
  old?: unknown;
  /** The value after the apply; absent when the field is removed. */
  new?: unknown;
}

/**
 * What the sink would do with one object:
 * - create / update / unchanged: the server's dry run says so;
 * - recreate: a field it cannot update in place changes, and recreatePolicy
 *   OnImmutableChange deletes and creates the object;
 * - immutable: the same under recreatePolicy Never, so the apply fails;
 * - delete / retain: the object leaves its node (resource removed from the
 *   form, or the node is deleted), deletionPolicy Delete or Retain;
 * - invalid: the server refuses the object (its message in `error`);
 * - conflict: another field manager owns a field and conflictPolicy is Stuck;
 * - error: anything else the sink would fail on (a namespace outside
 *   kubernetes.allowedNamespaces, a kind the server does not serve).
 */
export type ObjectAction =
  | 'create'
  | 'update'
  | 'unchanged'
  | 'recreate'
  | 'immutable'
  | 'delete'
  | 'retain'
  | 'invalid'
  | 'conflict'
  | 'error';

/** Actions that change the cluster. */
export const CHANGING_ACTIONS: ReadonlySet<ObjectAction> = new Set([
  'create',
  'update',
  'recreate',
  'delete',
  'retain',
]);

/** Actions with which the sink would fail: the plan exits 1. */
export const FAILING_ACTIONS: ReadonlySet<ObjectAction> = new Set([
  'immutable',
  'invalid',
  'conflict',
  'error',
]);

export interface ObjectPlan {
  resourceId: string;
  ref: ObjectRef;
  action: ObjectAction;
  /** The fields that change (update, recreate; for immutable: those that would). */
  changes: FieldChange[];
  /** The fields the server called immutable (recreate, immutable). */
  immutableFields?: string[];
  /** The server's or the sink's message (invalid, conflict, error, immutable, recreate). */
  error?: string;
  /** Why, when the action alone does not say it (creationPolicy Once, a namespace created first). */
  note?: string;
}

/**
 * What happens to one node:
 * - create: the desired topic has no record of it; it renders now;
 * - delete: the desired topic has one, and it now renders absent (inactive,
 *   filtered out, its row gone) or its form is no longer configured;
 * - change: some object is created, updated, recreated, deleted or retained;
 * - unchanged: nothing in the cluster would change;
 * - error: it does not render, or some object would fail.
 */
export type NodeAction = 'create' | 'change' | 'delete' | 'unchanged' | 'error';

export interface NodePlan {
  id: string;
  form: string;
  action: NodeAction;
  objects: ObjectPlan[];
  /** The processor's error text when the new configuration does not render the node. */
  renderError?: string;
  /** Why a deleted node goes: inactive, filtered, deleted (its row), form removed. */
  reason?: string;
}

export interface PlanResult {
  /** The configuration file planned. */
  configFile: string;
  prefix: string;
  /** Records read from the change topics, and node records from `<prefix>.desired`. */
  read: { changeRecords: number; desiredNodes: number };
  nodes: NodePlan[];
}
