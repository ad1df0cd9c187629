import type { Row } from '../core/change-event.js';
import type { FormConfig, ResourceConfig } from '../core/config/form-schema.js';
import type { HubConfig } from '../core/config/hub-schema.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { isActive } from './activation.js';
import { expiryTime } from './expiry/index.js';
import { type NodeError, nodeError, nodeErrorFrom, ROW_ERROR_CODE } from './node-error.js';
import { type LookupRows, nodeVariables } from './node-variables.js';
import {
  dns1123Label,
  RenderError,
  RenderErrorCode,
  type RenderSite,
  renderManifest,
  renderResource,
} from './render/index.js';
import { renderCluster } from './render-cluster.js';
import { evaluateCondition, evaluateFilter } from './row-filter.js';

// One row × one form → what the desired topic should hold for that node: its
// rendered resources, a reason it is absent (→ tombstone), or an error that
// stops this node only. Pure and deterministic: the same inputs give a
// deep-equal result with keys in the same order, so contentHash(result) tells
// the processor whether anything changed since the last record it produced.

/** A resource rendered for one node, with its policies as the sink needs them. */
export interface RenderedResource {
  id: string;
  manifest: Record<string, unknown>;
  dependIds: string[];
  waitForReady: boolean;
  timeoutSeconds: number;
  skipOnDependencyFailure: boolean;
  creationPolicy: ResourceConfig['creationPolicy'];
  deletionPolicy: ResourceConfig['deletionPolicy'];
  conflictPolicy: ResourceConfig['conflictPolicy'];
  /** Rendered; only present when the form sets it. */
  targetNamespace?: string;
  ignoreFields: string[];
  /** Only present when not Never, so that forms without it hash as before the field existed. */
  recreatePolicy?: ResourceConfig['recreatePolicy'];
}

export type RenderedNode =
  /** cluster: only present when the form sets one, so that nodes without it hash as before the field existed. */
  | { kind: 'node'; id: string; resources: RenderedResource[]; cluster?: string }
  /** Not a node (any more): the processor writes a tombstone for the id. */
  | { kind: 'absent'; id: string; reason: 'inactive' | 'filtered' | 'expired' }
  /**
   * The node cannot be rendered from this row. id is null only when the row
   * has no usable uid, so there is no node id to report under.
   */
  | { kind: 'error'; id: string | null; error: NodeError };

export interface RenderNodeInput {
  form: FormConfig;
  hub: HubConfig;
  row: Row;
  /** Rows of each lookup table that match this row, by lookup name. */
  lookups: LookupRows;
  /** The configured cluster names the form's cluster must render one of (kubernetes.clusters). */
  clusters?: readonly string[] | undefined;
  /**
   * The time to render at, ms since epoch: a row whose expireAt is at or
   * before it is absent. Passed in, so that rendering stays a function of its
   * inputs; required when the hub has expireAt.
   */
  nowMs?: number;
}

/**
 * Order of checks: variables (a row without a uid has no node id, so nothing
 * else can be reported for it), then activation, then expiry, then the hub's
 * filter, then each resource in form order (its includeWhen, then its
 * manifest); the first failure is the node's error.
 */
export function renderNode({ form, hub, row, lookups, clusters, nowMs }: RenderNodeInput): RenderedNode {
  const vars = nodeVariables(hub, row, lookups);
  if (!vars.ok) return { kind: 'error', id: null, error: withForm(vars.error, form.name) };
  const id = `${form.name}/${vars.uid}`;

  if (hub.activate !== undefined) {
    // A missing activate column must not read as "inactive": that would
    // delete every node of the hub over a typo or a dropped column.
    if (!Object.hasOwn(row, hub.activate)) {
      const message = `form '${form.name}' hub '${hub.name}': the row has no column '${hub.activate}' (activate)`;
      return { kind: 'error', id, error: nodeError(ErrorCode.CONFIG, message) };
    }
    if (!isActive(row[hub.activate])) return { kind: 'absent', id, reason: 'inactive' };
  }

  if (hub.expireAt !== undefined) {
    if (nowMs === undefined)
      throw new Error(`renderNode: hub '${hub.name}' has expireAt, and no time was given`);
    if (!Object.hasOwn(row, hub.expireAt)) {
      const message = `form '${form.name}' hub '${hub.name}': the row has no column '${hub.expireAt}' (expireAt)`;
      return { kind: 'error', id, error: nodeError(ErrorCode.CONFIG, message) };
    }
    const expiry = expiryTime(row[hub.expireAt]);
    if (!expiry.ok) {
      const message = `form '${form.name}' hub '${hub.name}' expireAt column '${hub.expireAt}': ${expiry.reason}`;
      return { kind: 'error', id, error: nodeError(ROW_ERROR_CODE, message) };
    }
    if (expiry.atMs !== null && expiry.atMs <= nowMs) return { kind: 'absent', id, reason: 'expired' };
  }

  if (hub.filter !== undefined) {
    const filtered = evaluateFilter(hub.filter, vars.variables, hub.name);
    if (!filtered.ok) return { kind: 'error', id, error: withForm(filtered.error, form.name) };
    if (!filtered.keep) return { kind: 'absent', id, reason: 'filtered' };
  }

  const resources: RenderedResource[] = [];
  const excluded = new Set<string>();
  for (const resource of form.resources) {
    const site: RenderSite = { form: form.name, resourceId: resource.id };
    if (resource.includeWhen !== undefined) {
      const where = `form '${form.name}' resource '${resource.id}' includeWhen ${JSON.stringify(resource.includeWhen)}`;
      const included = evaluateCondition(resource.includeWhen, vars.variables, where);
      if (!included.ok) return { kind: 'error', id, error: { ...included.error, resourceId: resource.id } };
      if (!included.keep) {
        excluded.add(resource.id);
        continue;
      }
    }
    try {
      resources.push(renderOne(resource, vars.variables, site));
    } catch (error) {
      // Programming errors are not a property of the row: let them surface.
      if (!(error instanceof RowkubeError)) throw error;
      const nodeErr: NodeError = { ...nodeErrorFrom(error), resourceId: resource.id };
      if (error instanceof RenderError) nodeErr.path = error.path;
      return { kind: 'error', id, error: nodeErr };
    }
  }
  // A left-out resource is not there to wait for: its dependents go ahead
  // (the sink would refuse a dependId naming no resource of the node).
  // Nothing changes for a form without includeWhen, so its hashes stay.
  if (excluded.size > 0)
    for (const resource of resources) resource.dependIds = resource.dependIds.filter((d) => !excluded.has(d));
  if (form.cluster === undefined) return { kind: 'node', id, resources };
  const cluster = renderCluster(form.cluster, vars.variables, form.name, clusters ?? []);
  if (!cluster.ok) return { kind: 'error', id, error: cluster.error };
  return { kind: 'node', id, resources, cluster: cluster.name };
}

function renderOne(
  resource: ResourceConfig,
  variables: Readonly<Record<string, unknown>>,
  site: RenderSite,
): RenderedResource {
  return {
    id: resource.id,
    manifest: renderResource(resource.manifest, variables, site),
    // Copies: the result shares nothing with the configuration.
    dependIds: [...resource.dependIds],
    waitForReady: resource.waitForReady,
    timeoutSeconds: resource.timeoutSeconds,
    skipOnDependencyFailure: resource.skipOnDependencyFailure,
    creationPolicy: resource.creationPolicy,
    deletionPolicy: resource.deletionPolicy,
    conflictPolicy: resource.conflictPolicy,
    // Left out rather than undefined, so that the result is plain JSON data.
    ...(resource.targetNamespace === undefined
      ? {}
      : { targetNamespace: renderNamespace(resource.targetNamespace, variables, site) }),
    ignoreFields: [...resource.ignoreFields],
    ...(resource.recreatePolicy === 'Never' ? {} : { recreatePolicy: resource.recreatePolicy }),
  };
}

/** targetNamespace is a template like any leaf, and must be a namespace name once rendered. */
function renderNamespace(
  template: string,
  variables: Readonly<Record<string, unknown>>,
  site: RenderSite,
): string {
  const { targetNamespace } = renderManifest({ targetNamespace: template }, variables, site);
  const problem =
    typeof targetNamespace === 'string' ? dns1123Label.problem(targetNamespace) : 'it is not text';
  if (problem !== undefined) {
    throw new RenderError(
      RenderErrorCode.INVALID_NAME,
      site,
      'targetNamespace',
      `the target namespace ${JSON.stringify(targetNamespace)} is not ${dns1123Label.name} (${problem}); ${dns1123Label.hint}`,
    );
  }
  return targetNamespace as string;
}

/** Errors found before any resource is rendered name the form too, since a hub serves several forms. */
function withForm(error: NodeError, form: string): NodeError {
  const prefix = `${error.code}: `;
  const rest = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return { ...error, message: `${prefix}form '${form}' ${rest}` };
}
