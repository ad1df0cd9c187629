import {
  MANAGED_BY_LABEL,
  OrphanAnnotation,
  OrphanLabel,
  OwnerAnnotation,
  OwnerLabel,
} from './owner-marks.js';

// deletionPolicy Retain: when its node or its resource goes away, the object
// stays but stops being rowkube's. Removing every owner mark means no later
// prune, selector or ownerOf can take it for a managed object again; the
// orphan markers tell a human where it came from (kubectl get -l
// rowkube.io/orphaned=true).

/** A JSON merge patch (RFC 7386): a null member deletes the key. */
export interface MetadataMergePatch {
  metadata: {
    labels: Record<string, string | null>;
    annotations: Record<string, string | null>;
  };
}

/**
 * The merge patch that orphans an object: every rowkube ownership label and
 * annotation removed, `rowkube.io/orphaned: "true"` added, with when
 * (orphaned-at, ISO 8601) and why (orphaned-reason, e.g. OrphanReason).
 */
export function orphanPatch(reason: string, at: Date): MetadataMergePatch {
  return {
    metadata: {
      labels: { ...removeAll([MANAGED_BY_LABEL, ...Object.values(OwnerLabel)]), [OrphanLabel]: 'true' },
      annotations: {
        ...removeAll(Object.values(OwnerAnnotation)),
        [OrphanAnnotation.at]: at.toISOString(),
        [OrphanAnnotation.reason]: reason,
      },
    },
  };
}

/**
 * The merge patch that removes orphan markers, for an orphan that is managed
 * again (its resource came back to the form, its node came back). Server-side
 * apply cannot do it: the markers were set by a patch, not by rowkube's apply,
 * so an apply that leaves them out does not remove them.
 */
export function adoptionPatch(): MetadataMergePatch {
  return {
    metadata: {
      labels: { [OrphanLabel]: null },
      annotations: removeAll(Object.values(OrphanAnnotation)),
    },
  };
}

function removeAll(keys: readonly string[]): Record<string, null> {
  return Object.fromEntries(keys.map((key) => [key, null]));
}
