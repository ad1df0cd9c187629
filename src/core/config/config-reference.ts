import { z } from 'zod';
import { configSchema } from './config-schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  pattern?: string;
  minimum?: number;
  minItems?: number;
}

/**
 * The configuration reference (docs/configuration.md), written from the same
 * schema that validates and defaults a file, so the two never disagree. A unit
 * test fails when the committed file is not what this returns; regenerate it
 * with `npm run docs`.
 */
export function configReference(): string {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/core/config/*-schema.ts by `npm run docs`; edit the schemas, not this file. -->',
    '',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: rowkube's own reference syntax, quoted in the doc
    'A rowkube configuration is one YAML file. String values may hold `${env:NAME}` (an environment',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: rowkube's own reference syntax, quoted in the doc
    'variable) or `${file:PATH}` (a file, relative to the configuration). `rowkube validate --config FILE`',
    'checks a file and reports every problem with its line and path. Unknown keys are errors.',
  ];
  for (const [section, schema] of Object.entries(root.properties ?? {})) {
    lines.push('', `## \`${section}\``, '');
    if (schema.description) lines.push(schema.description, '');
    lines.push('| key | type | default | meaning |', '|---|---|---|---|');
    const fields: string[] = [];
    collectFields(schema, section, (root.required ?? []).includes(section), fields);
    lines.push(...fields);
  }
  return `${lines.join('\n')}\n`;
}

function collectFields(schema: JsonSchema, path: string, required: boolean, out: string[]): void {
  const object = schema.type === 'array' ? schema.items : schema;
  const isContainer = object?.properties !== undefined;
  if (!isContainer || schema.type === 'array') {
    out.push(row(path, schema, required));
  }
  if (!object?.properties) return;
  const prefix = schema.type === 'array' ? `${path}[]` : path;
  for (const [key, child] of Object.entries(object.properties)) {
    collectFields(child, `${prefix}.${key}`, (object.required ?? []).includes(key), out);
  }
}

function row(path: string, schema: JsonSchema, required: boolean): string {
  const fallback =
    schema.default === undefined ? (required ? 'required' : '') : `\`${JSON.stringify(schema.default)}\``;
  const meaning = (schema.description ?? '').replaceAll('|', '\\|');
  return `| \`${path}\` | ${typeOf(schema)} | ${fallback} | ${meaning} |`;
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.type === 'array')
    return `list of ${schema.items?.properties ? 'objects' : typeOf(schema.items ?? {})}`;
  if (
    schema.type === 'object' &&
    schema.additionalProperties &&
    typeof schema.additionalProperties === 'object'
  ) {
    return schema.properties ? 'object' : `map of ${typeOf(schema.additionalProperties) || 'any'}`;
  }
  return Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
}
