// Secrets (passwords, private keys) must reach the configuration through
// `${env:NAME}` or `${file:PATH}`, so that the file can live in Git or a
// ConfigMap while the secret lives in a Secret. Only the text as written tells
// a reference from an inline value, so this looks at the parsed YAML before
// substitute-references.ts replaces anything.

/** Where the schema holds a secret; '*' is any array index. */
const SECRET_PATHS: readonly (readonly string[])[] = [
  ['kafka', 'sasl', 'password'],
  ['kafka', 'ssl', 'key'],
  ['sources', '*', 'mysql', 'ssl', 'key'],
  ['sources', '*', 'postgres', 'ssl', 'key'],
  ['schemaRegistry', 'auth', 'password'],
  ['schemaRegistry', 'ssl', 'key'],
];

/** The whole value is one reference: no part of the secret is written out. */
const REFERENCE = /^\$\{(env|file):[^}]+\}$/;

export interface InlineSecret {
  path: (string | number)[];
  message: string;
}

/**
 * The secrets in `raw` (the YAML document as parsed, references not yet
 * substituted) that are not a single `${env:}` or `${file:}` reference. The
 * message never repeats the value.
 */
export function findInlineSecrets(raw: unknown): InlineSecret[] {
  const found: InlineSecret[] = [];
  for (const pattern of SECRET_PATHS) {
    for (const { path, value } of valuesAt(raw, pattern, [])) {
      if (typeof value !== 'string' || REFERENCE.test(value.trim())) continue;
      found.push({
        path,
        message:
          `a secret written inline in the configuration; give it as \${env:NAME} (an environment variable) ` +
          `or \${file:PATH} (a file, e.g. a mounted Secret) instead`,
      });
    }
  }
  return found;
}

function valuesAt(
  node: unknown,
  pattern: readonly string[],
  path: (string | number)[],
): { path: (string | number)[]; value: unknown }[] {
  if (pattern.length === 0) return [{ path, value: node }];
  if (node === null || typeof node !== 'object') return [];
  const [head, ...rest] = pattern as [string, ...string[]];
  if (head === '*') {
    if (!Array.isArray(node)) return [];
    return node.flatMap((child, i) => valuesAt(child, rest, [...path, i]));
  }
  if (Array.isArray(node) || !(head in node)) return [];
  return valuesAt((node as Record<string, unknown>)[head], rest, [...path, head]);
}
