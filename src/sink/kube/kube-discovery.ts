import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { type KubeVerb, kubeNetworkError, kubeStatusError, unknownKindError } from './kube-errors.js';
import { describeRef, type ObjectRef } from './kube-object.js';
import type { KubeTransport } from './kube-transport.js';

// Which URL serves a kind, and whether it is namespaced: the API server's
// discovery documents (`/api/v1`, `/apis/<group>/<version>`), one request per
// group version, cached for the client's life. A kind missing from the cache
// is looked up again before it is reported unknown, so a CRD installed a
// moment ago is found.

/** A resource as discovery describes it. */
export interface KubeResource {
  apiVersion: string;
  kind: string;
  /** The URL segment, e.g. `deployments`. */
  plural: string;
  namespaced: boolean;
}

interface DiscoveryEntry {
  /** When the request started: a lookup that began before it may not trust its answer for a missing kind. */
  startedAt: number;
  /** The resources of the group version; empty when the server does not serve it. */
  resources: Promise<KubeResource[]>;
}

interface ApiResourceList {
  resources?: { name?: unknown; kind?: unknown; namespaced?: unknown }[];
}

export class KubeDiscovery {
  private readonly groupVersions = new Map<string, DiscoveryEntry>();
  /** Orders lookups and fetches: Date.now() can repeat within a millisecond. */
  private clock = 0;

  constructor(private readonly transport: KubeTransport) {}

  /**
   * The resource serving `kind` in `apiVersion`. Rejects with an UNKNOWN_KIND
   * error (not retriable) when the server has none, and with a KUBERNETES
   * error when discovery itself failed. `verb` and `ref` name the operation
   * that needed it in the error.
   */
  async resource(apiVersion: string, kind: string, verb: KubeVerb, ref?: ObjectRef): Promise<KubeResource> {
    const lookupStartedAt = ++this.clock;
    let entry = this.groupVersions.get(apiVersion);
    if (entry !== undefined) {
      const found = (await entry.resources).find((r) => r.kind === kind);
      if (found !== undefined) return found;
    }
    // Missing: ask the server unless someone already did after this lookup began.
    entry = this.groupVersions.get(apiVersion);
    if (entry === undefined || entry.startedAt < lookupStartedAt) entry = this.fetch(apiVersion);
    const found = (await entry.resources).find((r) => r.kind === kind);
    if (found === undefined) throw unknownKindError(verb, apiVersion, kind, ref);
    return found;
  }

  private fetch(apiVersion: string): DiscoveryEntry {
    const entry: DiscoveryEntry = { startedAt: ++this.clock, resources: this.request(apiVersion) };
    this.groupVersions.set(apiVersion, entry);
    // A failed discovery must not stick: the next lookup asks again.
    entry.resources.catch(() => {
      if (this.groupVersions.get(apiVersion) === entry) this.groupVersions.delete(apiVersion);
    });
    return entry;
  }

  private async request(apiVersion: string): Promise<KubeResource[]> {
    const failure = { verb: 'discovery' as const, subject: { what: `API group version ${apiVersion}` } };
    const response = await this.transport
      .request({ method: 'GET', path: groupVersionPath(apiVersion) })
      .catch((error: unknown) => {
        throw kubeNetworkError(failure, error);
      });
    if (response.status === 404) return [];
    if (response.status < 200 || response.status > 299) {
      throw kubeStatusError({ ...failure, status: response.status }, response.body);
    }
    const list = response.body as ApiResourceList;
    const resources: KubeResource[] = [];
    for (const r of list.resources ?? []) {
      // Subresources (`deployments/status`, `deployments/scale`) share or borrow kinds.
      if (typeof r.name !== 'string' || r.name.includes('/') || typeof r.kind !== 'string') continue;
      resources.push({ apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced === true });
    }
    return resources;
  }
}

/** `/api/v1` for the core group, `/apis/<group>/<version>` for the others. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The URL path of one object. A namespaced kind needs the namespace: no silent `default`. */
export function objectPath(resource: KubeResource, ref: ObjectRef): string {
  return `${collectionPath(resource, ref)}/${encodeURIComponent(ref.name)}`;
}

/**
 * The URL path of a collection: across all namespaces without `ref`, or the
 * namespace of `ref` for a namespaced kind.
 */
export function collectionPath(resource: KubeResource, ref?: ObjectRef): string {
  const base = groupVersionPath(resource.apiVersion);
  if (ref === undefined || !resource.namespaced) return `${base}/${resource.plural}`;
  if (!ref.namespace) {
    throw new RowkubeError(
      ErrorCode.KUBERNETES_INVALID,
      `${describeRef(ref)}: ${ref.kind} is namespaced but the object has no metadata.namespace`,
    );
  }
  return `${base}/namespaces/${encodeURIComponent(ref.namespace)}/${resource.plural}`;
}
