import type { ReferenceProblem } from './config-references.js';
import type { RowkubeConfig } from './config-schema.js';
import type { ConfigChecks } from './template-check.js';

// What forms[].cluster says about kubernetes.clusters (docs/clusters.md):
// a form may pick a cluster only among configured ones, and a form that
// picks none goes to the cluster named `default`, which must then exist.

/** The cluster a node without a cluster of its own goes to. */
export const DEFAULT_CLUSTER = 'default';

export function clusterProblems(config: RowkubeConfig, checks: ConfigChecks): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const clusters = config.kubernetes.clusters;
  const names = clusters === undefined ? [] : Object.keys(clusters);
  config.forms.forEach((form, f) => {
    if (form.cluster === undefined) {
      if (clusters !== undefined && !names.includes(DEFAULT_CLUSTER))
        problems.push({
          path: ['forms', f],
          message: `form '${form.name}' sets no cluster, and kubernetes.clusters has none named '${DEFAULT_CLUSTER}' (clusters: ${names.join(', ')}); set forms[].cluster, or add a cluster named '${DEFAULT_CLUSTER}'`,
        });
      return;
    }
    if (clusters === undefined) {
      problems.push({
        path: ['forms', f, 'cluster'],
        message: `form '${form.name}' picks a cluster, but kubernetes.clusters names none; add kubernetes.clusters (name → kubeconfig), or remove forms[].cluster`,
      });
      return;
    }
    for (const problem of checks.templates(
      { cluster: form.cluster },
      { form: form.name, resourceId: 'cluster' },
    ))
      problems.push({ path: ['forms', f, ...problem.segments], message: problem.message });
    // A name without a template is known now: a typo is reported at load, not per node.
    if (!/\{[{%]/.test(form.cluster) && !names.includes(form.cluster))
      problems.push({
        path: ['forms', f, 'cluster'],
        message: `form '${form.name}' picks cluster '${form.cluster}', which kubernetes.clusters does not name; clusters: ${names.join(', ')}`,
      });
  });
  return problems;
}

/** The configured cluster names, or undefined when kubernetes.clusters is not set (one cluster, `default`). */
export function clusterNames(
  kubernetes: Pick<RowkubeConfig['kubernetes'], 'clusters'>,
): string[] | undefined {
  return kubernetes.clusters === undefined ? undefined : Object.keys(kubernetes.clusters);
}
