/**
 * Finds a cycle in a dependency graph (node → the nodes it depends on), or
 * returns undefined. The cycle is returned as a path that starts and ends with
 * the same node ("a → b → a"), which is what an error message should show.
 */
export function findCycle(dependsOn: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of dependsOn.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of dependsOn.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}
