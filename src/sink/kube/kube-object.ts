import { ErrorCode, RowkubeError } from '../../core/errors.js';

// Kubernetes objects as the sink handles them: plain JSON, exactly as the API
// server sends them. No typed models: a model would drop fields it does not
// know (custom resources, fields newer than the client) and turn timestamps
// into Dates, and the sink compares and forwards objects, it never interprets
// most of their fields.

/** The metadata fields the sink reads; everything else is kept as the server sent it. */
export interface KubeObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  deletionTimestamp?: string;
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

/** One entry of metadata.managedFields: which manager owns which fields. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeObjectMeta;
  [field: string]: unknown;
}

/** Names one object on the server. `namespace` is ignored for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** The reference of an object; a KUBERNETES_INVALID error naming what is missing. */
export function refOf(object: KubeObject): ObjectRef {
  const { apiVersion, kind, metadata } = object;
  const name = metadata?.name;
  if (typeof apiVersion !== 'string' || apiVersion === '' || typeof kind !== 'string' || kind === '') {
    const given = JSON.stringify({ apiVersion, kind, name });
    throw new RowkubeError(ErrorCode.KUBERNETES_INVALID, `an object needs apiVersion and kind, got ${given}`);
  }
  if (typeof name !== 'string' || name === '') {
    throw new RowkubeError(ErrorCode.KUBERNETES_INVALID, `${kind} (${apiVersion}) has no metadata.name`);
  }
  const namespace = metadata.namespace;
  return typeof namespace === 'string' && namespace !== ''
    ? { apiVersion, kind, namespace, name }
    : { apiVersion, kind, name };
}

/**
 * How errors and logs name an object, as Flux does: `Deployment/tenant-a/web`,
 * `Namespace/tenant-a` — kind first, so a reader sees at once what it is about.
 */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}
