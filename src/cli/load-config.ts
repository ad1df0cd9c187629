import type { RowkubeConfig } from '../core/config/config-schema.js';
import { loadConfig as loadConfigWith, parseConfig as parseConfigWith } from '../core/config/load-config.js';
import type { ConfigChecks } from '../core/config/template-check.js';
import { checkTemplates } from '../processor/render/index.js';
import { conditionProblem } from '../processor/row-filter.js';

// Configuration as every command (and the tests and benchmarks that stand in
// for one) loads it: core's validation with the processor's template checker
// plugged in, so `rowkube validate` and `rowkube run` refuse a broken template
// at load time, at its line.

/** The checks core takes from the application: templates and conditions parse as the processor renders them. */
export const configChecks: ConfigChecks = { templates: checkTemplates, conditions: conditionProblem };

/** Reads, substitutes and validates a configuration file (core's loadConfig with configChecks). */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): RowkubeConfig {
  return loadConfigWith(file, configChecks, env);
}

/** Validates configuration text that `file` names in messages (core's parseConfig with configChecks). */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): RowkubeConfig {
  return parseConfigWith(text, file, configChecks, env);
}
