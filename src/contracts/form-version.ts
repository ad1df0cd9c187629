import { contentHash } from './canonical-json.js';

// A form's version: what desired records, objects (annotation
// `rowkube.io/form-version`) and status records carry, so that a rollout
// knows which nodes already run the new definition and `rowkube plan` can
// name the version it compares against. It covers what decides the rendered
// objects (the hub and the resources with their policies), not how a change
// is rolled out: editing `rollout` alone is no new version.

/** The parts of a form its version covers. */
export interface VersionedForm {
  hub: string;
  resources: readonly unknown[];
}

/** The annotation the sink puts on every object it applies: the form version of the node's record. */
export const FORM_VERSION_ANNOTATION = 'rowkube.io/form-version';

/** 16 hex digits of the content hash of the form's hub and resources. */
export function formVersion(form: VersionedForm): string {
  return contentHash({ hub: form.hub, resources: form.resources }).slice(0, 16);
}
