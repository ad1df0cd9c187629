import { createHash } from 'node:crypto';
import { FORM_VERSION_ANNOTATION } from '../../contracts/index.js';

// The one definition of the marks rowkube puts on the objects it writes. They
// are how the sink finds a node's objects again (label selectors) and how it
// decides whether it may delete one: an object without them is never pruned.
//
// Labels select, annotations carry the exact text. A label value is at most
// 63 characters of [A-Za-z0-9._-], so a node id ("<form>/<uid>", the uid
// being any row value) goes into a label as a hash, and into an annotation
// as itself; the topic prefix likewise when it is not a valid label value.

/** The recommended Kubernetes label naming the tool that manages an object. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'rowkube';

/** Every key rowkube defines is under this domain; a rendered manifest may not set them. */
export const ROWKUBE_DOMAIN = 'rowkube.io/';

export const OwnerLabel = {
  /** The topic prefix (or its hash), so two rowkube installations never prune each other's objects. */
  prefix: 'rowkube.io/prefix',
  hub: 'rowkube.io/hub',
  form: 'rowkube.io/form',
  /** nodeLabelValue(node id). */
  node: 'rowkube.io/node',
  /** The resource id within the form. */
  resource: 'rowkube.io/resource',
} as const;

export const OwnerAnnotation = {
  /** The full topic prefix, which the prefix label may only hold as a hash. */
  prefix: 'rowkube.io/prefix',
  /** The full node id, which the node label only holds as a hash. */
  nodeId: 'rowkube.io/node-id',
  /** The source position (JSON text) of the change that produced this state. */
  sourcePosition: 'rowkube.io/source-position',
  /** The commit time of that change by the database clock, ISO 8601. */
  commitTime: 'rowkube.io/commit-time',
  /** The resource's deletionPolicy, read back when the resource is pruned after leaving its form. */
  deletionPolicy: 'rowkube.io/deletion-policy',
  /** sha256 of what rowkube applies, provenance aside: equal hashes mean nothing to write. */
  contentHash: 'rowkube.io/content-hash',
  /** The form version the node was rendered with (FORM_VERSION_ANNOTATION, src/contracts/form-version.ts). */
  formVersion: FORM_VERSION_ANNOTATION,
} as const;

/** Set on an object rowkube stopped managing but kept (deletionPolicy Retain). */
export const OrphanLabel = 'rowkube.io/orphaned';
export const OrphanAnnotation = {
  /** When it was orphaned, ISO 8601. */
  at: 'rowkube.io/orphaned-at',
  /** Why: OrphanReason or the caller's own words. */
  reason: 'rowkube.io/orphaned-reason',
} as const;

/** The usual reasons, named like Lynq's RemovedFromTemplate and LynqNodeDeleted. */
export const OrphanReason = {
  /** The resource was removed from its form while the node lives on. */
  removedFromForm: 'RemovedFromForm',
  /** The node went away: its row was deleted, deactivated or filtered out. */
  nodeDeleted: 'NodeDeleted',
} as const;

/** Who an object belongs to: one resource of one node of one rowkube installation. */
export interface NodeOwner {
  /** The Kafka topic prefix of the installation. */
  readonly prefix: string;
  readonly hub: string;
  readonly form: string;
  /** "<form>/<uid>". */
  readonly nodeId: string;
  /** The resource id within the form. */
  readonly resourceId: string;
}

const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Whether Kubernetes accepts a text as a label value. */
export function isLabelValue(text: string): boolean {
  return LABEL_VALUE.test(text);
}

/** sha1 as 40 hex characters: a valid label value for any text, stable across versions and machines. */
function labelHash(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/** The node label's value: always the hash, since every node id holds a "/". */
export function nodeLabelValue(nodeId: string): string {
  return labelHash(nodeId);
}

/** The prefix label's value: the prefix itself when it is a valid label value (readable in kubectl), else its hash. */
export function prefixLabelValue(prefix: string): string {
  return isLabelValue(prefix) ? prefix : labelHash(prefix);
}
