import { writeFileSync } from 'node:fs';
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
