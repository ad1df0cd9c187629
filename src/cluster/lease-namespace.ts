import { readFileSync } from 'node:fs';

// Where the Leases live: the configured namespace, else the pod's own (its
// service account's namespace, which Kubernetes mounts into every pod), else
// `default` outside a cluster.

export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function leaseNamespace(
  configured: string | undefined,
  readPodNamespace: () => string | undefined = podNamespace,
): string {
  return configured ?? readPodNamespace() ?? 'default';
}

function podNamespace(): string | undefined {
  try {
    const namespace = readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8').trim();
    return namespace === '' ? undefined : namespace;
  } catch {
    return undefined;
  }
}
