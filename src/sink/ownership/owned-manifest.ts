import type { Provenance } from '../../contracts/index.js';
import { contentHash } from '../../contracts/index.js';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import {
  isLabelValue,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  type NodeOwner,
  nodeLabelValue,
  OwnerAnnotation,
  OwnerLabel,
  prefixLabelValue,
  ROWKUBE_DOMAIN,
} from './owner-marks.js';

/** A Kubernetes object as JSON data: apiVersion, kind, metadata, spec… */
export type Manifest = Record<string, unknown>;

export interface OwnedManifestOptions {
  /** The resource's targetNamespace; null, undefined or "" leaves metadata.namespace as rendered. */
  readonly targetNamespace?: string | null;
  /**
   * Whether the kind lives in a namespace. Only the API server's discovery
   * knows (a custom resource may be either), so the Kubernetes client tells.
   * A cluster-scoped object ignores targetNamespace.
   */
  readonly namespaced: boolean;
  /**
   * Recorded on the object: once a resource leaves its form, the object is
   * all that is left to say whether pruning deletes or retains it.
   */
  readonly deletionPolicy?: 'Delete' | 'Retain';
  /**
   * The form version of the node's desired record: recorded like provenance,
   * outside the content hash, so that an object whose content is unchanged is
   * not written again just for it.
   */
  readonly formVersion?: string | null;
}

/**
 * The manifest rowkube applies for a rendered resource: a deep copy with the
 * owner labels and annotations merged into metadata (the manifest's own
 * labels and annotations kept), provenance annotations, a content hash, and
 * metadata.namespace set from targetNamespace for a namespaced kind.
 *
 * Keys under rowkube.io/ in the rendered manifest are dropped and
 * app.kubernetes.io/managed-by is overwritten: the marks decide what rowkube
 * prunes and whose node an object is, so a template that set rowkube.io/node
 * (by accident or from a hostile row value) could otherwise make rowkube
 * delete or rewrite another node's objects, or orphan markers that lie.
 *
 * Throws ROWKUBE_ERR_INVALID_NAME when the prefix is empty, hub, form or
 * resource id is not a valid label value, or the node id is not
 * "<form>/<uid>" — config validation guarantees all of it, so this is a corrupt or foreign desired record.
 */
export function ownedManifest(
  manifest: Manifest,
  owner: NodeOwner,
  provenance: Pick<Provenance, 'position' | 'commitTsMs'>,
  options: OwnedManifestOptions,
): Manifest {
  checkOwner(owner);
  const owned = cloneJson(manifest);
  const metadata = plainObject(owned.metadata);
  owned.metadata = metadata;
  if (options.namespaced && options.targetNamespace) metadata.namespace = options.targetNamespace;
  metadata.labels = { ...withoutRowkubeKeys(metadata.labels), ...ownerLabels(owner) };
  const annotations: Record<string, unknown> = {
    ...withoutRowkubeKeys(metadata.annotations),
    [OwnerAnnotation.prefix]: owner.prefix,
    [OwnerAnnotation.nodeId]: owner.nodeId,
  };
  if (options.deletionPolicy !== undefined)
    annotations[OwnerAnnotation.deletionPolicy] = options.deletionPolicy;
  metadata.annotations = annotations;

  // Hashed before provenance goes in: a newer position with the same content
  // is nothing to write, which is what the applier uses the hash to see.
  const hash = contentHash(owned);
  if (provenance.position !== null) annotations[OwnerAnnotation.sourcePosition] = provenance.position;
  if (provenance.commitTsMs !== null) {
    annotations[OwnerAnnotation.commitTime] = new Date(Number(provenance.commitTsMs)).toISOString();
  }
  if (options.formVersion) annotations[OwnerAnnotation.formVersion] = options.formVersion;
  annotations[OwnerAnnotation.contentHash] = hash;
  return owned;
}

/**
 * A deep copy of JSON data (what a decoded manifest is): a third of
 * structuredClone's time, which a bulk's CPU profile showed per applied
 * object. An own "__proto__" key (JSON.parse makes one) stays a plain key.
 */
function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const member = cloneJson((value as Record<string, unknown>)[key]);
    if (key === '__proto__')
      Object.defineProperty(copy, key, {
        value: member,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else copy[key] = member;
  }
  return copy as T;
}

/** The labels that mark an object as the owner's (what ownerSelector and nodeSelector select on). */
export function ownerLabels(owner: NodeOwner): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [OwnerLabel.prefix]: prefixLabelValue(owner.prefix),
    [OwnerLabel.hub]: owner.hub,
    [OwnerLabel.form]: owner.form,
    [OwnerLabel.node]: nodeLabelValue(owner.nodeId),
    [OwnerLabel.resource]: owner.resourceId,
  };
}

function checkOwner(owner: NodeOwner): void {
  if (owner.prefix === '') {
    throw new RowkubeError(ErrorCode.INVALID_NAME, `node ${owner.nodeId}: the topic prefix is empty`);
  }
  for (const [what, value] of [
    ['hub', owner.hub],
    ['form', owner.form],
    ['resource id', owner.resourceId],
  ] as const) {
    if (value === '' || !isLabelValue(value)) {
      throw new RowkubeError(
        ErrorCode.INVALID_NAME,
        `node ${owner.nodeId}: ${what} ${JSON.stringify(value)} is not a valid label value`,
      );
    }
  }
  if (!owner.nodeId.startsWith(`${owner.form}/`) || owner.nodeId.length === owner.form.length + 1) {
    throw new RowkubeError(
      ErrorCode.INVALID_NAME,
      `node ${JSON.stringify(owner.nodeId)} is not "<form>/<uid>" for form ${JSON.stringify(owner.form)}`,
    );
  }
}

function plainObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function withoutRowkubeKeys(map: unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(plainObject(map)).filter(([key]) => !key.startsWith(ROWKUBE_DOMAIN)),
  );
}
