import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ErrorCode, RowkubeError } from '../errors.js';
import { checkReferences } from './config-references.js';
import { configSchema, type RowkubeConfig } from './config-schema.js';
import { findInlineSecrets } from './inline-secrets.js';
import { substituteReferences } from './substitute-references.js';
import type { ConfigChecks } from './template-check.js';

/** One problem in a configuration file, located as precisely as the file allows. */
export interface ConfigProblem {
  /** "sources[0].mysql.url" */
  path: string;
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
}

export class ConfigError extends RowkubeError {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      ErrorCode.CONFIG,
      `${file} is not a valid rowkube configuration:\n${problems.map((p) => `  ${formatProblem(file, p)}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

function formatProblem(file: string, problem: ConfigProblem): string {
  const where = problem.line ? `${file}:${problem.line}` : file;
  return `${where}: ${problem.path || '(top level)'}: ${problem.message}`;
}

/**
 * Reads, substitutes and validates a configuration file. Every problem found
 * is reported at once, each with its path inside the file and its line.
 * `checks` brings what core cannot check itself (templates); the CLI passes
 * the processor's (src/cli/load-config.ts).
 */
export function loadConfig(
  file: string,
  checks: ConfigChecks,
  env: NodeJS.ProcessEnv = process.env,
): RowkubeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file: ${(error as Error).message}` }]);
  }
  return parseConfig(text, file, checks, env);
}

export function parseConfig(
  text: string,
  file: string,
  checks: ConfigChecks,
  env: NodeJS.ProcessEnv = process.env,
): RowkubeConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      file,
      document.errors.map((e) => ({
        path: '',
        line: e.linePos?.[0]?.line,
        message: `YAML: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    // The deepest node that exists: a missing key is reported at its parent.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = document.getIn(path.slice(0, depth) as (string | number)[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };

  const raw: unknown = document.toJS();
  const problems: ConfigProblem[] = findInlineSecrets(raw).map((secret) => ({
    path: formatPath(secret.path),
    line: lineOf(secret.path),
    message: secret.message,
  }));
  const substituted = substituteAll(raw, [], dirname(file), env, (path, message) =>
    problems.push({ path: formatPath(path), line: lineOf(path), message }),
  );
  if (problems.length > 0) throw new ConfigError(file, problems);

  const result = configSchema.safeParse(substituted ?? {});
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.map((issue) => ({
        path: formatPath(issue.path),
        line: lineOf(issue.path),
        message: describeIssue(issue),
      })),
    );
  }
  const references = checkReferences(result.data, checks);
  if (references.length > 0) {
    throw new ConfigError(
      file,
      references.map((problem) => ({
        path: formatPath(problem.path),
        line: lineOf(problem.path),
        message: problem.message,
      })),
    );
  }
  return result.data;
}

function substituteAll(
  value: unknown,
  path: PropertyKey[],
  configDir: string,
  env: NodeJS.ProcessEnv,
  report: (path: PropertyKey[], message: string) => void,
): unknown {
  if (typeof value === 'string') {
    try {
      return substituteReferences(value, configDir, env);
    } catch (error) {
      report(path, (error as Error).message);
      return value;
    }
  }
  if (Array.isArray(value))
    return value.map((v, i) => substituteAll(v, [...path, i], configDir, env, report));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteAll(v, [...path, k], configDir, env, report)]),
    );
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; remove or correct ${issue.keys.length > 1 ? 'them' : 'it'}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return `missing: ${issue.message}`;
  return issue.message;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}
