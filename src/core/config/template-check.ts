// The port through which configuration validation checks templates. Core does
// not know the template language: the application layer passes the renderer's
// checker (src/cli/load-config.ts passes the processor's), so a broken
// template is still reported at load time, at its line, with every other
// problem of the file.

/** A template that cannot work for any row, located inside the resource's manifest. */
export interface ManifestTemplateProblem {
  /** Keys and indexes inside the manifest, to find the line in the configuration file. */
  segments: readonly (string | number)[];
  /** What is wrong, quoting the template text. */
  message: string;
}

/** Lists every problem of the templates in one resource's manifest; an empty list when they all parse. */
export type TemplateCheck = (
  manifest: unknown,
  site: { form: string; resourceId: string },
) => readonly ManifestTemplateProblem[];

/**
 * Checks a Liquid condition (a hub's filter, a resource's includeWhen) given
 * the variable names its hub defines; returns what is wrong, or undefined.
 */
export type ConditionCheck = (condition: string, variables: ReadonlySet<string>) => string | undefined;

/** What validation needs from outside core. */
export interface ConfigChecks {
  templates: TemplateCheck;
  /** Optional, so that callers with only a template checker keep working; then conditions are checked at render only. */
  conditions?: ConditionCheck;
}
