// kubernetes.allowedNamespaces: the namespaces rowkube may write to and prune
// in. A pattern is a whole namespace name in which "*" matches any run of
// characters (none included); there is no other wildcard, and matching is
// case-sensitive, as namespace names are lowercase anyway.

/** A predicate for the patterns, compiled once for the many objects checked against them. */
export function namespaceMatcher(patterns: readonly string[]): (namespace: string) => boolean {
  if (patterns.length === 0) return () => false;
  const alternatives = patterns.map((pattern) =>
    pattern
      .split('*')
      .map((literal) => literal.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
      .join('.*'),
  );
  const regex = new RegExp(`^(?:${alternatives.join('|')})$`, 's');
  return (namespace) => regex.test(namespace);
}

/** Whether a namespace matches one of the patterns ("tenant-*" allows "tenant-acme"). */
export function namespaceAllowed(namespace: string, patterns: readonly string[]): boolean {
  return namespaceMatcher(patterns)(namespace);
}

/**
 * The namespaces the patterns name when none holds a wildcard, else undefined
 * (any namespace may match). With literal names the sink lists namespaced
 * kinds in each of them instead of across the cluster, so that Roles in those
 * namespaces are all the rights it needs (`rowkube rbac`, docs/rbac.md).
 */
export function literalNamespaces(patterns: readonly string[]): string[] | undefined {
  if (patterns.some((pattern) => pattern.includes('*'))) return undefined;
  return [...new Set(patterns)];
}
