import { validateRenderedNames } from './kubernetes-names.js';
import type { RenderSite } from './render-error.js';
import { renderManifest } from './render-manifest.js';

/**
 * A resource as the processor needs it: rendered for one row, and with names
 * Kubernetes will accept. Throws RenderError (ROWKUBE_ERR_TEMPLATE or
 * ROWKUBE_ERR_INVALID_NAME); both are per node and never retriable.
 */
export function renderResource(
  manifest: unknown,
  variables: Readonly<Record<string, unknown>>,
  site: RenderSite,
): Record<string, unknown> {
  const rendered = renderManifest(manifest, variables, site);
  validateRenderedNames(rendered, site);
  return rendered;
}
