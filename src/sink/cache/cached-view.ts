import type { KubeObject } from '../kube/index.js';
import { MANAGED_BY_LABEL, OwnerAnnotation, ROWKUBE_DOMAIN } from '../ownership/index.js';
import { fingerprint } from './object-fingerprint.js';

// What the watch cache keeps of an object: what its readers need, nothing
// more, since it holds every object rowkube owns (3 per node in a typical
// form) for as long as it runs.
// - readiness (src/sink/readiness): status, metadata.generation and
//   deletionTimestamp, and the few spec fields the rules read;
// - ownership and the inventory (ownerOf, Inventory.seedFrom): rowkube's
//   own labels and the annotations that say owner, deletion policy and
//   content hash;
// - drift: the content itself is replaced by its fingerprint
//   (object-fingerprint.ts), taken when the object arrives with the
//   resource's ignoreFields as known then.
// A ConfigMap's data, a Deployment's pod template, managedFields, the source
// position annotation: all gone.

/** spec fields some readiness rule reads (workload replicas and update strategy, Service type, Job suspend). */
const READINESS_SPEC = ['replicas', 'type', 'suspend', 'updateStrategy'] as const;
const KEPT_ANNOTATIONS: readonly string[] = [
  OwnerAnnotation.prefix,
  OwnerAnnotation.nodeId,
  OwnerAnnotation.deletionPolicy,
  OwnerAnnotation.contentHash,
];

const FINGERPRINT = Symbol('content fingerprint');
const IGNORED = Symbol('ignoreFields of the fingerprint');

type CachedObject = KubeObject & { [FINGERPRINT]?: string; [IGNORED]?: string };

/** ignoreFields as one text, to tell whether a fingerprint was taken with the same ones. */
export function ignoredKey(ignoreFields: readonly string[]): string {
  return ignoreFields.length === 0 ? '' : ignoreFields.join('\n');
}

/**
 * The cache's view of an object. `known`: the fingerprint of this very
 * version when the caller has it already (rowkube's own write), so that it
 * is not computed again.
 */
export function cachedView(object: KubeObject, ignoreFields: readonly string[], known?: string): KubeObject {
  const { metadata } = object;
  const kept: KubeObjectLike = { name: metadata.name };
  if (metadata.namespace !== undefined) kept.namespace = metadata.namespace;
  if (metadata.resourceVersion !== undefined) kept.resourceVersion = metadata.resourceVersion;
  if (metadata.generation !== undefined) kept.generation = metadata.generation;
  if (metadata.deletionTimestamp !== undefined) kept.deletionTimestamp = metadata.deletionTimestamp;
  const labels = picked(metadata.labels, (key) => key === MANAGED_BY_LABEL || key.startsWith(ROWKUBE_DOMAIN));
  if (labels !== undefined) kept.labels = labels;
  const annotations = picked(metadata.annotations, (key) => KEPT_ANNOTATIONS.includes(key));
  if (annotations !== undefined) kept.annotations = annotations;
  const view: CachedObject = { apiVersion: object.apiVersion, kind: object.kind, metadata: kept };
  const spec = object.spec;
  if (typeof spec === 'object' && spec !== null) {
    const readable = picked(spec as Record<string, unknown>, (key) =>
      (READINESS_SPEC as readonly string[]).includes(key),
    );
    if (readable !== undefined) view.spec = readable;
  }
  if (object.status !== undefined) view.status = object.status;
  view[FINGERPRINT] = known ?? fingerprint(object, ignoreFields);
  view[IGNORED] = ignoredKey(ignoreFields);
  return view;
}

/**
 * The fingerprint of a cached object's content with these ignoreFields, or
 * undefined when it was taken with others (the form changed them since) or
 * the object is no view of the cache: the content is not known then.
 */
export function cachedFingerprint(object: KubeObject, ignoreFields: readonly string[]): string | undefined {
  const cached = object as CachedObject;
  if (cached[FINGERPRINT] === undefined) return undefined;
  return cached[IGNORED] === ignoredKey(ignoreFields) ? cached[FINGERPRINT] : undefined;
}

type KubeObjectLike = KubeObject['metadata'];

function picked<T>(
  map: Record<string, T> | undefined,
  keep: (key: string) => boolean,
): Record<string, T> | undefined {
  if (map === undefined || map === null) return undefined;
  let result: Record<string, T> | undefined;
  for (const [key, value] of Object.entries(map))
    if (keep(key)) {
      result ??= {};
      result[key] = value;
    }
  return result;
}
