import { MANAGED_BY, MANAGED_BY_LABEL, nodeLabelValue, OwnerLabel, prefixLabelValue } from './owner-marks.js';

// Label selectors for LIST calls. A selector narrows what the API server
// returns; it is not proof of ownership (anyone can set labels), so whatever
// is about to be deleted still goes through ownerOf.

/** Every object of one rowkube installation (its topic prefix). */
export function ownerSelector(prefix: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY},${OwnerLabel.prefix}=${prefixLabelValue(prefix)}`;
}

/** Every object of one node of one installation. */
export function nodeSelector(prefix: string, nodeId: string): string {
  return `${ownerSelector(prefix)},${OwnerLabel.node}=${nodeLabelValue(nodeId)}`;
}
