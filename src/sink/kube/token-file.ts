// The kubeconfig side of in-cluster credentials; the file itself is followed
// by TokenFile (src/core/token-file.ts), which src/kafka shares.

/** The token file a kubeconfig user names (`loadFromCluster` makes one: auth provider `tokenFile`), if any. */
export function tokenFileOf(
  user: { authProvider?: { config?: Record<string, string> } } | null,
): string | undefined {
  const file = user?.authProvider?.config?.tokenFile;
  return typeof file === 'string' && file !== '' ? file : undefined;
}
