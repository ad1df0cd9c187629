import type { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { apiGroupOf, type KindResource } from '../../cluster/kube-kinds.js';
import { rbacHeader, rbacManifests, type ServiceAccountRef } from '../../cluster/rbac-manifests.js';
import { deriveRbac, formKinds, type KindResources, kindKey } from '../../cluster/rbac-rules.js';
import { openKubeClient } from '../../sink/kube/index.js';
import { loadConfig } from '../load-config.js';

export interface RbacRequest {
  config: string;
  /** Ask this cluster's discovery for each kind's plural and scope instead of the built-in table. */
  kubeconfig?: string;
  /** `values`: the Helm chart's `rbac:` values; `manifests`: RBAC objects bound to serviceAccount. */
  output: 'values' | 'manifests';
  serviceAccount?: ServiceAccountRef;
}

/**
 * `rowkube rbac --config F [--kubeconfig K] [-o values|manifests --service-account NS/NAME]`:
 * prints the least-privilege rules the configuration needs, with a comment
 * header saying where each comes from. Talks to no cluster without --kubeconfig.
 */
export async function rbacCommand(request: RbacRequest, out: Writable = process.stdout): Promise<number> {
  const config = loadConfig(request.config);
  const resources = request.kubeconfig === undefined ? new Map() : await discover(config, request.kubeconfig);
  const plan = deriveRbac(config, resources);
  const header = `${rbacHeader(plan, request.config)}\n`;
  if (request.output === 'values') {
    out.write(`${header}${stringify({ rbac: plan.values })}`);
    return 0;
  }
  const account = request.serviceAccount as ServiceAccountRef;
  const objects = rbacManifests(plan.values, account, config.leaderElection.namespace);
  out.write(`${header}${objects.map((object) => `---\n${stringify(object)}`).join('')}`);
  return 0;
}

async function discover(config: ReturnType<typeof loadConfig>, kubeconfig: string): Promise<KindResources> {
  const client = openKubeClient(kubeconfig);
  try {
    const found = new Map<string, KindResource>();
    for (const { apiVersion, kind } of formKinds(config.forms)) {
      const resource = await client.resource(apiVersion, kind);
      found.set(kindKey(apiVersion, kind), {
        group: apiGroupOf(apiVersion),
        plural: resource.plural,
        namespaced: resource.namespaced,
        known: true,
      });
    }
    return found;
  } finally {
    client.close();
  }
}
