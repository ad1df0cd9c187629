import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../src/sink/kube/index.js';

// The Helm chart (deploy/helm/rowkube) through the helm binary of the stack
// part `helm` (HELM): lint it and render it into objects, for the chart's own
// test and for tests that run rowkube under the chart's ServiceAccount and RBAC.

const run = promisify(execFile);

export const CHART_DIR = resolve(import.meta.dirname, '../deploy/helm/rowkube');
/** Values that turn every option of the chart on. */
export const FULL_VALUES = resolve(CHART_DIR, 'ci/full-values.yaml');

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm; resolves with its exit code and output instead of rejecting on failure. */
export async function runHelm(helm: string, args: readonly string[]): Promise<HelmResult> {
  try {
    const { stdout, stderr } = await run(helm, args, { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

export interface TemplateOptions {
  release: string;
  namespace: string;
  /** Values files, in order (-f). */
  valuesFiles?: readonly string[];
  /** Single values as JSON (--set-json key=value), applied after the files. */
  set?: Record<string, unknown>;
}

/** `helm template` of the chart as objects; rejects with helm's message when it fails. */
export async function renderChart(helm: string, options: TemplateOptions): Promise<KubeObject[]> {
  const result = await runHelm(helm, templateArgs(options));
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}): ${result.stderr.trim()}`);
  return parseManifests(result.stdout);
}

export function templateArgs({ release, namespace, valuesFiles = [], set = {} }: TemplateOptions): string[] {
  return [
    'template',
    release,
    CHART_DIR,
    '--namespace',
    namespace,
    ...valuesFiles.flatMap((file) => ['-f', file]),
    ...Object.entries(set).flatMap(([key, value]) => ['--set-json', `${key}=${JSON.stringify(value)}`]),
  ];
}

/** The objects of a multi-document YAML stream; empty documents (a disabled template) are skipped. */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as KubeObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}
