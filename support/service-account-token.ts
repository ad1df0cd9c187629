import { chmodSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { uniqueName } from './stack-env.js';

// Service-account identities for tests that run rowkube as a pod would: a
// ServiceAccount, tokens minted through the TokenRequest API (as the kubelet
// does for a pod), and a kubeconfig that carries only such a token, so that
// RBAC decides what rowkube may do.

/** One request to the API server with the admin credentials of `kubeconfig`; resolves with the parsed JSON body. */
export async function adminRequest(
  kubeconfig: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(path, server),
      {
        ...options,
        method,
        headers: {
          ...options.headers,
          accept: 'application/json',
          ...(text === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = raw;
          try {
            parsed = JSON.parse(raw);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function expectOk(kubeconfig: string, method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
  const res = await adminRequest(kubeconfig, method, path, body);
  if (res.status >= 300 && res.status !== 409)
    throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Creates a namespace (if missing) and a ServiceAccount in it; resolves with the account's name. */
export async function createServiceAccount(
  kubeconfig: string,
  namespace: string,
  name = uniqueName('sa').replaceAll('_', '-'),
) {
  await expectOk(kubeconfig, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  await expectOk(kubeconfig, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name },
  });
  return name;
}

export interface TokenOptions {
  /** Default 3600 (the API server's minimum is 600). */
  expirationSeconds?: number;
  /** Binds the token to an object: deleting that object invalidates the token, as a pod's token dies with the pod. */
  boundObjectRef?: { kind: 'Secret' | 'Pod'; apiVersion: 'v1'; name: string; uid: string };
}

/** A token for the ServiceAccount, minted through the TokenRequest API as the kubelet does for a pod. */
export async function mintServiceAccountToken(
  kubeconfig: string,
  namespace: string,
  serviceAccount: string,
  options: TokenOptions = {},
): Promise<string> {
  const body = (await expectOk(
    kubeconfig,
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        expirationSeconds: options.expirationSeconds ?? 3600,
        ...(options.boundObjectRef ? { boundObjectRef: options.boundObjectRef } : {}),
      },
    },
  )) as { status?: { token?: string } };
  const token = body.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  return token;
}

/** A kubeconfig file for the admin kubeconfig's cluster that authenticates with `token` only. */
export function writeTokenKubeconfig(adminKubeconfig: string, token: string): string {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error(`${adminKubeconfig} has no current cluster`);
  const file = join(tmpdir(), `${uniqueName('token-kubeconfig')}.yaml`);
  const ca = cluster.caData ?? undefined;
  const caFile = cluster.caFile ?? undefined;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'stack',
        cluster: {
          server: cluster.server,
          ...(ca ? { 'certificate-authority-data': ca } : {}),
          ...(caFile ? { 'certificate-authority': caFile } : {}),
        },
      },
    ],
    users: [{ name: 'service-account', user: { token } }],
    contexts: [{ name: 'service-account', context: { cluster: 'stack', user: 'service-account' } }],
    'current-context': 'service-account',
  };
  writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
  return file;
}

/** Binds a ClusterRole (e.g. `cluster-admin`) to the ServiceAccount; resolves with the binding's name, to delete it afterwards. */
export async function bindClusterRole(
  kubeconfig: string,
  namespace: string,
  serviceAccount: string,
  clusterRole: string,
): Promise<string> {
  const name = `${namespace}-${serviceAccount}`;
  await expectOk(kubeconfig, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
  });
  return name;
}

/** Creates a Secret to bind tokens to (TokenOptions.boundObjectRef); deleting it invalidates them. */
export async function createBindingSecret(
  kubeconfig: string,
  namespace: string,
  name: string,
): Promise<NonNullable<TokenOptions['boundObjectRef']>> {
  const body = (await expectOk(kubeconfig, 'POST', `/api/v1/namespaces/${namespace}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
  })) as { metadata?: { uid?: string } };
  const uid = body.metadata?.uid;
  if (!uid) throw new Error(`Secret ${namespace}/${name} was not created: ${JSON.stringify(body)}`);
  return { kind: 'Secret', apiVersion: 'v1', name, uid };
}

/** The HTTP status the API server answers a GET of /api with `token` alone: 200 while it is valid, 401 once it is not. */
export async function tokenStatus(adminKubeconfig: string, token: string): Promise<number> {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error(`${adminKubeconfig} has no current cluster`);
  const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64') : readFileSync(cluster.caFile ?? '');
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL('/api', cluster.server),
      { ca, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * A folder laid out as the kubelet mounts a pod's service account at
 * SERVICE_ACCOUNT_MOUNT: token, ca.crt (the admin kubeconfig's cluster CA)
 * and namespace, readable by any user (a container's user is not the test's).
 * Returns the folder and a function that replaces the token as the kubelet
 * does: a new file renamed over the old one.
 */
export function writeServiceAccountMount(
  adminKubeconfig: string,
  namespace: string,
  token: string,
): { dir: string; rotate: (token: string) => void } {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error(`${adminKubeconfig} has no current cluster`);
  const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64') : readFileSync(cluster.caFile ?? '');
  const dir = mkdtempSync(join(tmpdir(), 'rowkube-sa-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'ca.crt'), ca, { mode: 0o644 });
  writeFileSync(join(dir, 'namespace'), namespace, { mode: 0o644 });
  const rotate = (next: string) => {
    writeFileSync(join(dir, '.token.new'), next, { mode: 0o644 });
    renameSync(join(dir, '.token.new'), join(dir, 'token'));
  };
  rotate(token);
  return { dir, rotate };
}
