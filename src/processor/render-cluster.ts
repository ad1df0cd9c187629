import { ErrorCode, RowkubeError } from '../core/errors.js';
import { type NodeError, nodeError, nodeErrorFrom } from './node-error.js';
import { renderManifest } from './render/index.js';

// forms[].cluster for one node: its template rendered over the node's
// variables, which must give a configured cluster name. A value naming no
// cluster stops this node only (a typo in a row must not send the tenant
// anywhere): its error names the value and the clusters there are.

export type ClusterChoice = { ok: true; name: string } | { ok: false; error: NodeError };

export function renderCluster(
  template: string,
  variables: Readonly<Record<string, unknown>>,
  form: string,
  clusters: readonly string[],
): ClusterChoice {
  let rendered: unknown;
  try {
    ({ cluster: rendered } = renderManifest({ cluster: template }, variables, {
      form,
      resourceId: 'cluster',
    }));
  } catch (error) {
    if (!(error instanceof RowkubeError)) throw error;
    return { ok: false, error: { ...nodeErrorFrom(error), path: 'cluster' } };
  }
  const name = typeof rendered === 'string' ? rendered.trim() : rendered;
  if (typeof name === 'string' && clusters.includes(name)) return { ok: true, name };
  const message = `form '${form}' cluster ${JSON.stringify(template)} gives ${JSON.stringify(name)}, which kubernetes.clusters does not name; clusters: ${clusters.join(', ') || 'none'}`;
  return { ok: false, error: { ...nodeError(ErrorCode.ROW, message), path: 'cluster' } };
}
