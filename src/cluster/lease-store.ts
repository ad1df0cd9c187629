import type { KubeClient, KubeObject } from '../sink/index.js';
import type { LeaseSpec } from './lease-decision.js';

// The elector's port to one Lease, and its adapter over the sink's Kubernetes
// client (one pool of kept-alive connections). Losing a race is an answer,
// not an error: create and update resolve undefined on 409.

/** A Lease as read: its spec and the resourceVersion an update must name. */
export interface StoredLease {
  spec: LeaseSpec;
  resourceVersion: string;
}

export interface LeaseStore {
  /** The Lease, or undefined when it does not exist. */
  get(): Promise<StoredLease | undefined>;
  /** Creates the Lease; undefined when another replica created it first. */
  create(spec: LeaseSpec): Promise<StoredLease | undefined>;
  /** Replaces the spec if the Lease is still at `resourceVersion`; undefined when someone wrote it since. */
  update(resourceVersion: string, spec: LeaseSpec): Promise<StoredLease | undefined>;
}

const API_VERSION = 'coordination.k8s.io/v1';

export class KubeLeaseStore implements LeaseStore {
  constructor(
    private readonly kube: Pick<KubeClient, 'get' | 'create' | 'update'>,
    readonly namespace: string,
    readonly name: string,
  ) {}

  async get(): Promise<StoredLease | undefined> {
    const object = await this.kube.get({ apiVersion: API_VERSION, kind: 'Lease', ...this.ref() });
    return object === undefined ? undefined : stored(object);
  }

  async create(spec: LeaseSpec): Promise<StoredLease | undefined> {
    const created = await this.kube.create(this.object(spec));
    return created === undefined ? undefined : stored(created);
  }

  async update(resourceVersion: string, spec: LeaseSpec): Promise<StoredLease | undefined> {
    const updated = await this.kube.update(this.object(spec, resourceVersion));
    return updated === undefined ? undefined : stored(updated);
  }

  private ref() {
    return { namespace: this.namespace, name: this.name };
  }

  private object(spec: LeaseSpec, resourceVersion?: string): KubeObject {
    return {
      apiVersion: API_VERSION,
      kind: 'Lease',
      metadata: {
        ...this.ref(),
        labels: { 'app.kubernetes.io/managed-by': 'rowkube' },
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
      },
      spec: withoutUndefined(spec),
    };
  }
}

function stored(object: KubeObject): StoredLease {
  const spec = ((object as { spec?: LeaseSpec }).spec ?? {}) as LeaseSpec;
  return { spec, resourceVersion: object.metadata?.resourceVersion ?? '' };
}

function withoutUndefined(spec: LeaseSpec): Record<string, unknown> {
  return Object.fromEntries(Object.entries(spec).filter(([, value]) => value !== undefined));
}
