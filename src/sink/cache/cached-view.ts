import type { KubeObject } from '../kube/index.js';
import { MANAGED_BY_LABEL, OwnerAnnotation, OwnerLabel } from '../ownership/index.js';
import { fingerprint } from './object-fingerprint.js';

// What the watch cache keeps of an object: what its readers need, nothing
// more, since it holds every object rowkube owns (3 per node in a typical
// form) for as long as it runs.
// - readiness (src/sink/readiness): status, metadata.generation and
//   deletionTimestamp, and the few spec fields the rules read;
// - ownership and the inventory (ownerOf, Inventory.seedFrom): the owner
//   labels and the annotations that say owner, deletion policy and content
//   hash;
// - drift: the content itself is replaced by its fingerprint
//   (object-fingerprint.ts), taken when the object arrives with the
//   resource's ignoreFields as known then.
// A ConfigMap's data, a Deployment's pod template, managedFields, the source
// position annotation: all gone.

/**
 * Label and annotation values most objects share (the managed-by value, the
 * prefix, hub, form, resource id, deletion policy) and namespaces are one
 * string for all, instead of one per object as each JSON answer parses them.
 * Per-node values (node id, its label hash, content hash) are not shared.
 */
/** Distinct shared strings kept at most; past that (a namespace per tenant) the table starts over. */
const MAX_SHARED = 4_096;
const sharedStrings = new Map<string, string>();

function share(value: string): string {
  const known = sharedStrings.get(value);
  if (known !== undefined) return known;
  if (sharedStrings.size >= MAX_SHARED) sharedStrings.clear();
  sharedStrings.set(value, value);
  return value;
}

const FINGERPRINT = Symbol('content fingerprint');
const IGNORED = Symbol('ignoreFields of the fingerprint');
/** The number of the change that put a cached object there (owned-cache.ts): no map of counters per object. */
export const CHANGE = Symbol('change number');

type CachedObject = KubeObject & { [FINGERPRINT]?: string; [IGNORED]?: string; [CHANGE]?: number };

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
  const labels = metadata.labels ?? {};
  const annotations = metadata.annotations ?? {};
  const spec = (typeof object.spec === 'object' && object.spec !== null ? object.spec : {}) as Record<
    string,
    unknown
  >;
  // Every object of the view is one literal with all its fields (absent ones
  // undefined), so each keeps its fields in itself: fields added one by one
  // would each object cost a separate property store.
  const view: CachedObject = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace === undefined ? undefined : share(metadata.namespace),
      resourceVersion: metadata.resourceVersion,
      generation: metadata.generation,
      deletionTimestamp: metadata.deletionTimestamp,
      // What ownerOf reads (ownership/owner-of.ts); the keys are MANAGED_BY_LABEL and OwnerLabel's.
      labels: {
        'app.kubernetes.io/managed-by': shared(labels[MANAGED_BY_LABEL]),
        'rowkube.io/prefix': shared(labels[OwnerLabel.prefix]),
        'rowkube.io/hub': shared(labels[OwnerLabel.hub]),
        'rowkube.io/form': shared(labels[OwnerLabel.form]),
        'rowkube.io/node': labels[OwnerLabel.node],
        'rowkube.io/resource': shared(labels[OwnerLabel.resource]),
      } as Record<string, string>,
      // What ownerOf and the inventory read; the keys are OwnerAnnotation's.
      annotations: {
        'rowkube.io/prefix': shared(annotations[OwnerAnnotation.prefix]),
        'rowkube.io/node-id': annotations[OwnerAnnotation.nodeId],
        'rowkube.io/deletion-policy': shared(annotations[OwnerAnnotation.deletionPolicy]),
        'rowkube.io/content-hash': annotations[OwnerAnnotation.contentHash],
      } as Record<string, string>,
    },
    // The spec fields some readiness rule reads (workload replicas and update strategy, Service type, Job suspend).
    spec: {
      replicas: spec.replicas,
      type: spec.type,
      suspend: spec.suspend,
      updateStrategy: spec.updateStrategy,
    },
    status: object.status,
    [FINGERPRINT]: known ?? fingerprint(object, ignoreFields),
    [IGNORED]: ignoredKey(ignoreFields),
    [CHANGE]: 0,
  };
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

function shared(value: string | undefined): string | undefined {
  return value === undefined ? undefined : share(value);
}
