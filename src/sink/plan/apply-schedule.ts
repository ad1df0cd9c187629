import { findCycle } from '../../core/dependency-cycle.js';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { kindTier } from './kind-order.js';

// Which of a node's resources must be handled before which. Two sources of
// order: the form's dependIds (explicit: the user said "after, and ready") and
// the fixed kind order (implicit: a ConfigMap after its Namespace, a
// Deployment after its ConfigMap). Everything else runs concurrently, so a
// node's independent resources do not wait on each other.

/** What scheduling needs to know about one resource. */
export interface ScheduledResource {
  /** Unique among the resources scheduled together (a resource id of the form). */
  readonly id: string;
  readonly kind: string;
  /** Lets a custom resource named like a built-in kind be ordered as a custom resource. */
  readonly apiVersion?: string;
  /** Ids of the resources this one depends on (the form's dependIds). */
  readonly dependIds: readonly string[];
}

/** The resources that must be handled before one resource, by why. */
export interface Prerequisites {
  /**
   * Its dependIds, in the form's order. Only these gate: the resource waits
   * for them to be ready when they have waitForReady, and is skipped when one
   * of them failed and it has skipOnDependencyFailure.
   */
  readonly explicit: readonly string[];
  /**
   * Resources of an earlier kind tier that are not explicit. These only
   * order: the resource starts once their apply has finished, whatever its
   * outcome (a failed ConfigMap does not skip a Deployment that never named it).
   */
  readonly implicit: readonly string[];
}

export interface ApplySchedule {
  /** Resource id → what must be applied before it; every scheduled id is a key. */
  readonly prerequisites: ReadonlyMap<string, Prerequisites>;
  /**
   * The same order as waves: every resource of a wave has all its
   * prerequisites in earlier waves. For logs and tests; a runner that starts
   * each resource as soon as its own prerequisites are done is faster.
   */
  readonly waves: readonly (readonly string[])[];
}

/**
 * The apply order of one node's resources. Throws ROWKUBE_ERR_CONFIG when two
 * resources share an id, a dependId names no resource of the node, or the
 * dependIds form a cycle (config validation normally refuses such forms, so
 * this means a record from an older or foreign configuration).
 *
 * An explicit dependency wins over the kind order: a resource that depends on
 * a resource of a later kind tier is moved to that tier (with everything that
 * depends on it), so the two orders can never contradict each other and the
 * combined order has a cycle only when the dependIds alone have one.
 */
export function applySchedule(nodeId: string, resources: readonly ScheduledResource[]): ApplySchedule {
  const byId = indexById(nodeId, resources);
  for (const resource of resources) {
    const unknown = resource.dependIds.find((id) => !byId.has(id));
    if (unknown !== undefined) {
      throw new RowkubeError(
        ErrorCode.CONFIG,
        `node ${nodeId}: resource ${JSON.stringify(resource.id)} depends on ${JSON.stringify(unknown)}, which is not a resource of its form`,
      );
    }
  }
  return schedule(nodeId, resources, byId);
}

/**
 * The order in which to delete resources: the apply order reversed, so
 * dependents go before what they depend on and later kind tiers before
 * earlier ones (a Deployment before its ConfigMap, everything before its
 * Namespace). Deleting a set is often deleting part of a node (resources
 * removed from a form, live objects found by label), so a dependId that
 * names no resource of the set orders nothing instead of being an error.
 * Throws ROWKUBE_ERR_CONFIG on duplicate ids or a dependency cycle.
 */
export function deletionWaves(nodeId: string, resources: readonly ScheduledResource[]): string[][] {
  const byId = indexById(nodeId, resources);
  const known = resources.map((resource) => ({
    ...resource,
    dependIds: resource.dependIds.filter((id) => byId.has(id)),
  }));
  const { waves } = schedule(nodeId, known, indexById(nodeId, known));
  return waves.map((wave) => [...wave]).reverse();
}

function indexById(
  nodeId: string,
  resources: readonly ScheduledResource[],
): ReadonlyMap<string, ScheduledResource> {
  const byId = new Map<string, ScheduledResource>();
  for (const resource of resources) {
    if (byId.has(resource.id)) {
      throw new RowkubeError(
        ErrorCode.CONFIG,
        `node ${nodeId}: two resources have the id ${JSON.stringify(resource.id)}`,
      );
    }
    byId.set(resource.id, resource);
  }
  return byId;
}

/** Dependencies are known to name resources of byId. */
function schedule(
  nodeId: string,
  resources: readonly ScheduledResource[],
  byId: ReadonlyMap<string, ScheduledResource>,
): ApplySchedule {
  const cycle = findCycle(new Map(resources.map((r) => [r.id, r.dependIds])));
  if (cycle) {
    throw new RowkubeError(ErrorCode.CONFIG, `node ${nodeId}: dependIds form a cycle: ${cycle.join(' → ')}`);
  }

  const tiers = effectiveTiers(resources, byId);
  const prerequisites = new Map<string, Prerequisites>();
  for (const resource of resources) {
    const tier = tiers.get(resource.id) ?? 0;
    const explicit = new Set(resource.dependIds);
    const implicit = resources
      .filter((other) => (tiers.get(other.id) ?? 0) < tier && !explicit.has(other.id))
      .map((other) => other.id);
    prerequisites.set(resource.id, { explicit: [...explicit], implicit });
  }
  return { prerequisites, waves: wavesOf(resources, prerequisites) };
}

/** Kind tier, raised to the tier of anything the resource explicitly depends on. */
function effectiveTiers(
  resources: readonly ScheduledResource[],
  byId: ReadonlyMap<string, ScheduledResource>,
): Map<string, number> {
  const tiers = new Map<string, number>();
  // The explicit graph is acyclic here, so the recursion ends.
  const tierOf = (resource: ScheduledResource): number => {
    const known = tiers.get(resource.id);
    if (known !== undefined) return known;
    let tier = kindTier(resource.kind, resource.apiVersion);
    for (const id of resource.dependIds) {
      const dependency = byId.get(id);
      if (dependency) tier = Math.max(tier, tierOf(dependency));
    }
    tiers.set(resource.id, tier);
    return tier;
  };
  for (const resource of resources) tierOf(resource);
  return tiers;
}

/** Wave of a resource = 1 + the latest wave of its prerequisites; input order within a wave. */
function wavesOf(
  resources: readonly ScheduledResource[],
  prerequisites: ReadonlyMap<string, Prerequisites>,
): string[][] {
  const waveOf = new Map<string, number>();
  const visit = (id: string): number => {
    const known = waveOf.get(id);
    if (known !== undefined) return known;
    const before = prerequisites.get(id);
    const all = before ? [...before.explicit, ...before.implicit] : [];
    const wave = all.reduce((latest, other) => Math.max(latest, visit(other) + 1), 0);
    waveOf.set(id, wave);
    return wave;
  };
  const waves: string[][] = [];
  for (const { id } of resources) {
    const wave = visit(id);
    while (waves.length <= wave) waves.push([]);
    waves[wave]?.push(id);
  }
  return waves;
}
