import type { KubeObject } from '../kube/index.js';
import { MANAGED_BY_LABEL, OwnerAnnotation, OwnerLabel, ROWKUBE_DOMAIN } from '../ownership/index.js';
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

/**
 * Label and annotation values most objects share (the managed-by value, the
 * prefix, hub, form, resource id, deletion policy) and namespaces: one string
 * for all, instead of one per object as each JSON answer parses them. Per-node
 * values (node id, its label hash, content hash) are not shared and not kept here.
 */
const SHARED_LABELS: readonly string[] = [
  MANAGED_BY_LABEL,
  OwnerLabel.prefix,
  OwnerLabel.hub,
  OwnerLabel.form,
  OwnerLabel.resource,
];
const SHARED_ANNOTATIONS: readonly string[] = [OwnerAnnotation.prefix, OwnerAnnotation.deletionPolicy];
/** Distinct shared strings kept at most; past that (a namespace per tenant) the table starts over. */
const MAX_SHARED = 4_096;
const shared = new Map<string, string>();

function share(value: string): string {
  const known = shared.get(value);
  if (known !== undefined) return known;
  if (shared.size >= MAX_SHARED) shared.clear();
  shared.set(value, value);
  return value;
}

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
  // Already a view (a list's page, kept as views as it arrived): its content is gone, its fingerprint is the one.
  if ((object as CachedObject)[FINGERPRINT] !== undefined) return object;
  const { metadata } = object;
  const kept: KubeObjectLike = { name: metadata.name };
  if (metadata.namespace !== undefined) kept.namespace = share(metadata.namespace);
  if (metadata.resourceVersion !== undefined) kept.resourceVersion = metadata.resourceVersion;
  if (metadata.generation !== undefined) kept.generation = metadata.generation;
  if (metadata.deletionTimestamp !== undefined) kept.deletionTimestamp = metadata.deletionTimestamp;
  const labels = picked(metadata.labels, (key) => key === MANAGED_BY_LABEL || key.startsWith(ROWKUBE_DOMAIN));
  if (labels !== undefined) kept.labels = sharedValues(labels, SHARED_LABELS);
  const annotations = picked(metadata.annotations, (key) => KEPT_ANNOTATIONS.includes(key));
  if (annotations !== undefined) kept.annotations = sharedValues(annotations, SHARED_ANNOTATIONS);
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

function sharedValues(map: Record<string, string>, keys: readonly string[]): Record<string, string> {
  for (const key of keys) {
    const value = map[key];
    if (typeof value === 'string') map[key] = share(value);
  }
  return map;
}

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
