import type { NodePlan } from './plan-types.js';

// "Deployment spec.template.spec.containers[0].image: 812 nodes": the changed
// fields of a form's nodes, grouped by kind and path, each counted once per
// node (a node whose two Deployments change the same field counts once).

export interface FieldGroup {
  kind: string;
  path: string;
  /** How many nodes change this field of an object of this kind. */
  nodes: number;
  /** Some object of the group is recreated for it (an immutable field, recreatePolicy OnImmutableChange). */
  recreated: boolean;
}

/** The groups of the nodes' updated and recreated objects, most nodes first, then by kind and path. */
export function fieldGroups(nodes: readonly NodePlan[]): FieldGroup[] {
  const groups = new Map<string, { kind: string; path: string; nodes: Set<string>; recreated: boolean }>();
  for (const node of nodes) {
    for (const object of node.objects) {
      if (object.action !== 'update' && object.action !== 'recreate') continue;
      for (const change of object.changes) {
        const key = `${object.ref.kind} ${change.path}`;
        const group = groups.get(key) ?? {
          kind: object.ref.kind,
          path: change.path,
          nodes: new Set<string>(),
          recreated: false,
        };
        group.nodes.add(node.id);
        if (object.action === 'recreate') group.recreated = true;
        groups.set(key, group);
      }
    }
  }
  return [...groups.values()]
    .map(({ kind, path, nodes: ids, recreated }) => ({ kind, path, nodes: ids.size, recreated }))
    .sort((a, b) => b.nodes - a.nodes || a.kind.localeCompare(b.kind) || a.path.localeCompare(b.path));
}
