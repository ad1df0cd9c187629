/** A location inside a manifest: object keys and array indexes from the root. */
export type ManifestPath = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * "spec.template.spec.containers[0].image". Keys that are not plain words
 * (annotation keys such as "app.kubernetes.io/name") are bracketed so that
 * the dots inside them are not read as nesting.
 */
export function formatManifestPath(path: ManifestPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (IDENTIFIER.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}
