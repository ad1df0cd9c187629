import type { DesiredResourceValue, DesiredValue } from '../contracts/index.js';
import { RowkubeError } from '../core/errors.js';
import { prepareResource } from '../sink/apply/prepared-resource.js';
import { refKey } from '../sink/inventory.js';
import type { KubeObject, ObjectRef } from '../sink/kube/index.js';
import { OwnerAnnotation, ownerOf } from '../sink/ownership/index.js';
import type { NodeTarget } from './node-renders.js';
import { dryRunObject, request } from './object-dry-run.js';
import type { PlanContext } from './plan-context.js';
import { nodeAction } from './plan-summary.js';
import type { NodePlan, ObjectPlan } from './plan-types.js';

// One node's plan: its rendered objects dry-run against the cluster, and the
// objects that would leave it — those the current record names and the new
// one does not (pruned), or all of them when the node goes away. Returns
// undefined for an id that is no node before or after (a row never rendered
// that still renders absent).

export async function planNode(context: PlanContext, target: NodeTarget): Promise<NodePlan | undefined> {
  const { id, form, current, next } = target;
  if (next.kind === 'error') return { id, form, action: 'error', objects: [], renderError: next.message };
  if (next.kind === 'absent') {
    if (current === undefined) return undefined;
    const objects = await leaving(context, current, current.resources, new Set());
    return { id, form, action: nodeAction(objects, 'delete'), objects, reason: next.reason };
  }
  const value = next.value;
  const objects: ObjectPlan[] = [];
  const kept = new Set<string>();
  const prepared: { resource: DesiredResourceValue; object: KubeObject; ref: ObjectRef }[] = [];
  for (const resource of value.resources) {
    try {
      const ready = await prepareResource(context, value, resource);
      prepared.push(ready);
      kept.add(refKey(ready.ref));
    } catch (error) {
      if (!(error instanceof RowkubeError) || error.retriable) throw error;
      objects.push({
        resourceId: resource.id,
        ref: roughRef(resource),
        action: 'error',
        changes: [],
        error: error.message,
      });
    }
  }
  // Namespaces first, as the sink applies them: whether a namespace exists decides what its objects mean.
  const created = new Set<string>();
  const namespaces = prepared.filter((p) => p.ref.kind === 'Namespace' && p.ref.apiVersion === 'v1');
  for (const p of namespaces) {
    const { plan } = await dryRunObject(context, p);
    if (plan.action === 'create') created.add(p.ref.name);
    objects.push(plan);
  }
  const others = prepared.filter((p) => !namespaces.includes(p));
  const outcomes = await Promise.all(others.map((p) => dryRunObject(context, p)));
  for (const { plan, missingNamespace } of outcomes) {
    if (missingNamespace !== undefined && !created.has(missingNamespace))
      objects.push({
        ...plan,
        action: 'error',
        error: `namespace ${missingNamespace} does not exist and the node does not create it`,
      });
    else objects.push(plan);
  }
  if (current !== undefined) objects.push(...(await leaving(context, current, current.resources, kept)));
  return { id, form, action: nodeAction(objects, current === undefined ? 'create' : 'exists'), objects };
}

/** The objects of `resources` (of the current record) not in `kept` that exist and are this node's: deleted or retained. */
async function leaving(
  context: PlanContext,
  node: DesiredValue,
  resources: readonly DesiredResourceValue[],
  kept: ReadonlySet<string>,
): Promise<ObjectPlan[]> {
  const plans = await Promise.all(
    resources.map(async (resource): Promise<ObjectPlan | undefined> => {
      let ref: ObjectRef;
      try {
        ref = (await prepareResource(context, node, resource)).ref;
      } catch (error) {
        // An object the sink could not have applied is not there to remove.
        if (error instanceof RowkubeError && !error.retriable) return undefined;
        throw error;
      }
      if (kept.has(refKey(ref))) return undefined;
      const live = await request(context, () => context.live.get(ref));
      const owner = live === undefined ? undefined : ownerOf(live);
      // Only what carries this node's marks is ever removed (the sink's rule).
      if (owner === undefined || owner.nodeId !== node.id || owner.prefix !== context.prefix)
        return undefined;
      const policy = live?.metadata.annotations?.[OwnerAnnotation.deletionPolicy] ?? resource.deletionPolicy;
      return {
        resourceId: resource.id,
        ref,
        action: policy === 'Retain' ? 'retain' : 'delete',
        changes: [],
        ...(policy === 'Retain' ? { note: 'deletionPolicy Retain: kept, without its owner labels' } : {}),
      };
    }),
  );
  return plans.filter((plan): plan is ObjectPlan => plan !== undefined);
}

/** A reference from the manifest as rendered, for an object that could not be prepared. */
function roughRef(resource: DesiredResourceValue): ObjectRef {
  const manifest = JSON.parse(resource.manifest) as {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string; namespace?: string };
  };
  return {
    apiVersion: String(manifest.apiVersion ?? ''),
    kind: String(manifest.kind ?? resource.id),
    name: String(manifest.metadata?.name ?? ''),
    ...(manifest.metadata?.namespace === undefined ? {} : { namespace: String(manifest.metadata.namespace) }),
  };
}
