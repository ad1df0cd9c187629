import { compileTemplate } from './liquid-engine.js';
import { formatManifestPath } from './manifest-path.js';
import { quoteForMessage, RenderError, RenderErrorCode, type RenderSite } from './render-error.js';
import { TemplateSyntaxError } from './template-syntax-error.js';

/**
 * Renders one resource's manifest for one row. The manifest is the parsed
 * configuration, walked as data: only string leaves are templates, and each
 * rendered leaf replaces that leaf and nothing else. Keys are copied as they
 * are, never rendered: the shape of a resource is fixed by the form, so no row
 * value can add a key, a list item or a document (`x\nkind: ClusterRole` stays
 * one string). Rendered output is never parsed again, so a row value holding
 * `{{ … }}` stays literal text.
 *
 * A leaf that is one `{{ … }}` ending in to_int, to_float, to_bool or from_json
 * becomes that filter's number, boolean or JSON value; every other template
 * leaf becomes a string; strings without `{{` or `{%` are kept as they are.
 *
 * Pure: the manifest and the variables are not modified, and the result shares
 * no objects with either. Throws RenderError (ROWKUBE_ERR_TEMPLATE) naming the
 * leaf's path and template on a missing variable or a filter's refusal, and
 * TemplateSyntaxError (ROWKUBE_ERR_CONFIG) on a template checkTemplates would
 * have refused at load.
 */
export function renderManifest(
  manifest: unknown,
  variables: Readonly<Record<string, unknown>>,
  site: RenderSite,
): Record<string, unknown> {
  if (!isObject(manifest)) {
    throw new TypeError(`form '${site.form}' resource '${site.resourceId}': a manifest must be an object`);
  }
  return renderNode(manifest, [], variables, site) as Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `path` is a stack shared by the whole walk; it is only formatted when a leaf fails. */
function renderNode(
  node: unknown,
  path: (string | number)[],
  variables: Readonly<Record<string, unknown>>,
  site: RenderSite,
): unknown {
  if (typeof node === 'string') return renderLeaf(node, path, variables, site);
  if (Array.isArray(node)) {
    return node.map((item, index) => {
      path.push(index);
      const rendered = renderNode(item, path, variables, site);
      path.pop();
      return rendered;
    });
  }
  if (isObject(node)) {
    // fromEntries defines own properties, so even a "__proto__" key in the
    // configuration is copied as a key and never sets a prototype.
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => {
        path.push(key);
        const rendered = renderNode(value, path, variables, site);
        path.pop();
        return [key, rendered];
      }),
    );
  }
  return node; // numbers, booleans and null are written in the form and stay as they are
}

function renderLeaf(
  text: string,
  path: (string | number)[],
  variables: Readonly<Record<string, unknown>>,
  site: RenderSite,
): unknown {
  if (!text.includes('{{') && !text.includes('{%')) return text;
  let template: ReturnType<typeof compileTemplate>;
  try {
    template = compileTemplate(text);
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    const location = `form '${site.form}' resource '${site.resourceId}' at ${formatManifestPath(path)}`;
    throw new TemplateSyntaxError(error.template, error.reason, { cause: error.cause }, location);
  }
  try {
    return template.render(variables);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RenderError(
      RenderErrorCode.TEMPLATE,
      site,
      formatManifestPath(path),
      `template ${quoteForMessage(text, 200)} failed: ${reason}`,
      { cause: error },
    );
  }
}
