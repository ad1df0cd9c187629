import { compileTemplate } from './liquid-engine.js';
import { formatManifestPath, type ManifestPath } from './manifest-path.js';
import type { RenderSite } from './render-error.js';
import { TemplateSyntaxError } from './template-syntax-error.js';

/** A template in a manifest that cannot work for any row; found at config load. */
export interface TemplateProblem {
  form: string;
  resourceId: string;
  /** Keys and indexes inside the manifest, to find the line in the configuration file. */
  segments: ManifestPath;
  /** The same as text: "spec.template.spec.containers[0].image". */
  path: string;
  /** The offending template text (or key) as written. */
  template: string;
  /** What is wrong, quoting the template text. */
  message: string;
}

/**
 * Parses every template leaf of a manifest (which also fills the parse cache
 * renderManifest uses) and lists every problem at once: syntax errors, unknown
 * filters, tags rowkube does not allow (include, render, layout, increment…),
 * and keys written as templates, which would otherwise stay literal because
 * keys are never rendered.
 */
export function checkTemplates(manifest: unknown, site: RenderSite): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const report = (segments: ManifestPath, template: string, message: string): void => {
    problems.push({
      ...site,
      segments: [...segments],
      path: formatManifestPath(segments),
      template,
      message,
    });
  };
  visit(manifest, [], report);
  return problems;
}

function visit(
  node: unknown,
  path: (string | number)[],
  report: (segments: ManifestPath, template: string, message: string) => void,
): void {
  if (typeof node === 'string') {
    if (!node.includes('{{') && !node.includes('{%')) return;
    try {
      compileTemplate(node);
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      report(path, node, `template syntax error: ${error.reason} in template ${JSON.stringify(node)}`);
    }
    return;
  }
  if (Array.isArray(node)) {
    node.forEach((item, index) => {
      visit(item, [...path, index], report);
    });
    return;
  }
  if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key.includes('{{') || key.includes('{%')) {
        report(
          [...path, key],
          key,
          `the key ${JSON.stringify(key)} looks like a template, but keys are never rendered: the shape of a resource is fixed by the form; template the value instead`,
        );
      }
      visit(value, [...path, key], report);
    }
  }
}
