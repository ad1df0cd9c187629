import {
  isLabelValue,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  type NodeOwner,
  nodeLabelValue,
  OwnerAnnotation,
  OwnerLabel,
  prefixLabelValue,
} from './owner-marks.js';

/**
 * Whose an object is, read back from rowkube's marks, or undefined when it
 * is not rowkube's. Undefined means "never delete, never orphan": every mark
 * must be there, and the hashed labels must match the texts in the
 * annotations, so an object someone labelled by hand, or whose marks were
 * partly removed or copied from another object, is left alone.
 */
export function ownerOf(object: object): NodeOwner | undefined {
  const labels = stringMap(object, 'labels');
  const annotations = stringMap(object, 'annotations');
  if (labels[MANAGED_BY_LABEL] !== MANAGED_BY) return undefined;
  const prefix = annotations[OwnerAnnotation.prefix];
  const nodeId = annotations[OwnerAnnotation.nodeId];
  const hub = labels[OwnerLabel.hub];
  const form = labels[OwnerLabel.form];
  const resourceId = labels[OwnerLabel.resource];
  if (!prefix || !nodeId || !hub || !form || !resourceId) return undefined;
  if (![hub, form, resourceId].every(isLabelValue)) return undefined;
  if (labels[OwnerLabel.prefix] !== prefixLabelValue(prefix)) return undefined;
  if (labels[OwnerLabel.node] !== nodeLabelValue(nodeId)) return undefined;
  if (!nodeId.startsWith(`${form}/`) || nodeId.length === form.length + 1) return undefined;
  return { prefix, hub, form, nodeId, resourceId };
}

/** metadata.labels or metadata.annotations, keeping only string values. */
function stringMap(object: object, field: 'labels' | 'annotations'): Record<string, string> {
  const metadata = (object as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return {};
  const map = (metadata as Record<string, unknown>)[field];
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return {};
  return Object.fromEntries(
    Object.entries(map).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
