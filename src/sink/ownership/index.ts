// rowkube's marks on the objects it writes: owner labels and annotations,
// reading them back, orphaning, ignored fields and the namespace guard.
export { type FieldPath, parseFieldPath } from './field-path.js';
export { withIgnoredFields, withoutFields } from './ignored-fields.js';
export { literalNamespaces, namespaceAllowed, namespaceMatcher } from './namespace-guard.js';
export { adoptionPatch, type MetadataMergePatch, orphanPatch } from './orphan-patch.js';
export { type Manifest, type OwnedManifestOptions, ownedManifest, ownerLabels } from './owned-manifest.js';
export {
  isLabelValue,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  type NodeOwner,
  nodeLabelValue,
  OrphanAnnotation,
  OrphanLabel,
  OrphanReason,
  OwnerAnnotation,
  OwnerLabel,
  prefixLabelValue,
  ROWKUBE_DOMAIN,
} from './owner-marks.js';
export { ownerOf } from './owner-of.js';
export { nodeSelector, ownerSelector } from './owner-selectors.js';
