import type { KubeApi } from '../../src/sink/kube/index.js';

// The benchmark's namespaces: one for the floor's objects and one for the
// sink's, so each phase creates its objects from scratch. Every object lives
// in one of these two rather than in a namespace per node: deleting 10,000
// namespaces keeps the namespace controller busy for many minutes after the
// run, while two namespaces go with everything in them in one request each.

/** Marks the benchmark's namespaces, so that a later run can see what an earlier one left. */
const BENCH_LABEL = 'rowkube.io/bench';
const BENCH_LABEL_VALUE = 'sink';

export async function createNamespaces(kube: KubeApi, names: readonly string[]): Promise<void> {
  for (const name of names)
    await kube.apply(
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { [BENCH_LABEL]: BENCH_LABEL_VALUE } },
      },
      { fieldManager: 'rowkube-bench', force: true },
    );
}

/**
 * Namespaces of earlier runs that still exist: usually still being emptied
 * by the namespace controller, which keeps the API server busy and would
 * lower both figures of this run.
 */
export async function leftoverNamespaces(kube: KubeApi): Promise<string[]> {
  const namespaces = await kube.list('v1', 'Namespace', `${BENCH_LABEL}=${BENCH_LABEL_VALUE}`);
  return namespaces.map((namespace) => namespace.metadata.name ?? '?');
}

/**
 * Asks for the deletion and returns: the namespace controller removes the
 * objects in the background (a minute or so for 30,000), after the figures
 * are taken. Best effort: what is left has a name unique to this run.
 */
export async function deleteNamespaces(kube: KubeApi, names: readonly string[]): Promise<void> {
  await Promise.allSettled(
    names.map((name) =>
      kube.delete({ apiVersion: 'v1', kind: 'Namespace', name }, { propagation: 'Background' }),
    ),
  );
}
