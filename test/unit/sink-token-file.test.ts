import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenFile } from '../../src/core/token-file.js';
import { KubeTransport } from '../../src/sink/kube/kube-transport.js';
import { defaultKubeConfigProblem } from '../../src/sink/kube/open-kube-client.js';
import { tokenFileOf } from '../../src/sink/kube/token-file.js';

// In-cluster credentials: the kubelet replaces the service-account token file
// (a new file swapped in, so a new inode) before the old token expires, and a
// bound token dies early when its object is deleted.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tokenPath(initial: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rowkube-token-'));
  dirs.push(dir);
  const path = join(dir, 'token');
  writeFileSync(path, initial);
  return path;
}

/** Replaces the file as the kubelet does: a new file renamed over the old one. */
function rotate(path: string, token: string): void {
  writeFileSync(`${path}.new`, token);
  renameSync(`${path}.new`, path);
}

describe('TokenFile', () => {
  it('reads the token once, trimmed, and follows a rotation at the next check', async () => {
    let now = 0;
    const path = tokenPath('first\n');
    const file = new TokenFile(path, { checkIntervalMs: 1000, now: () => now });
    expect(await file.token()).toBe('first');
    rotate(path, 'second');
    now = 500;
    expect(await file.token()).toBe('first'); // not looked at within the interval
    now = 1000;
    expect(await file.token()).toBe('second');
  });

  it('reads the file again at once after invalidate (a 401)', async () => {
    const now = 0;
    const path = tokenPath('first');
    const file = new TokenFile(path, { checkIntervalMs: 60_000, now: () => now });
    expect(await file.token()).toBe('first');
    rotate(path, 'second');
    expect(await file.token()).toBe('first');
    file.invalidate();
    expect(await file.token()).toBe('second');
  });

  it('reads the file again after maxAge even if it looks unchanged', async () => {
    let now = 0;
    const path = tokenPath('aaaa');
    const file = new TokenFile(path, { checkIntervalMs: 1000, maxAgeMs: 60_000, now: () => now });
    expect(await file.token()).toBe('aaaa');
    // Same size, and the mtime may not move within the clock's resolution: only the age tells.
    writeFileSync(path, 'bbbb');
    now = 60_000;
    expect(await file.token()).toBe('bbbb');
  });

  it('keeps the last token while the file is missing or empty, and fails clearly if it never had one', async () => {
    let now = 0;
    const path = tokenPath('first');
    const file = new TokenFile(path, { checkIntervalMs: 1000, now: () => now });
    expect(await file.token()).toBe('first');
    rmSync(path);
    now = 1000;
    expect(await file.token()).toBe('first');
    rotate(path, '');
    now = 2000;
    expect(await file.token()).toBe('first');
    const missing = new TokenFile(join(path, 'nowhere'));
    await expect(missing.token()).rejects.toThrow(
      /ROWKUBE_ERR_CONFIG: cannot read the service-account token/,
    );
  });

  it('is the file that an in-cluster KubeConfig names', () => {
    const kc = new KubeConfig();
    kc.loadFromCluster('/prefix');
    expect(tokenFileOf(kc.getCurrentUser())).toBe(
      '/prefix/var/run/secrets/kubernetes.io/serviceaccount/token',
    );
    expect(tokenFileOf({})).toBeUndefined();
  });
});

describe('KubeTransport with a token file', () => {
  it('sends the current token, and after a 401 reads the file again and retries once', async () => {
    let valid = 'first';
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      seen.push(auth);
      res.writeHead(auth === `Bearer ${valid}` ? 200 : 401, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const path = tokenPath('first');
      const kc = new KubeConfig();
      kc.loadFromClusterAndUser(
        { name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
        { name: 'u', authProvider: { name: 'tokenFile', config: { tokenFile: path } } },
      );
      // Checks only on a 401 here, so that the retry is what picks the new token up.
      const transport = new KubeTransport(kc, { tokenCheckIntervalMs: 3_600_000 });
      try {
        expect((await transport.request({ method: 'GET', path: '/api' })).status).toBe(200);
        // Rotated, and the old token revoked at once.
        rotate(path, 'second');
        valid = 'second';
        expect((await transport.request({ method: 'GET', path: '/api' })).status).toBe(200);
        expect(seen).toEqual(['Bearer first', 'Bearer first', 'Bearer second']);
        // A 401 with an unchanged file is the answer: no loop.
        valid = 'third';
        expect((await transport.request({ method: 'GET', path: '/api' })).status).toBe(401);
        expect(seen.slice(3)).toEqual(['Bearer second']);
      } finally {
        transport.close();
      }
    } finally {
      server.close();
    }
  });
});

describe('defaultKubeConfigProblem', () => {
  it('refuses what loadFromDefault falls back to when it finds nothing', () => {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      { name: 'cluster', server: 'http://localhost:8080', skipTLSVerify: false },
      { name: 'user' },
    );
    expect(defaultKubeConfigProblem(kc, {})).toMatch(/no cluster to apply to/);
    // A real kubeconfig that happens to use the same names has credentials.
    const named = new KubeConfig();
    named.loadFromClusterAndUser(
      { name: 'cluster', server: 'http://localhost:8080', skipTLSVerify: true },
      { name: 'user', token: 't' },
    );
    expect(defaultKubeConfigProblem(named, {})).toBeUndefined();
  });

  it('accepts a pod with the service variables, and names them when they are missing', () => {
    const kc = new KubeConfig();
    kc.loadFromCluster();
    expect(
      defaultKubeConfigProblem(kc, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }),
    ).toBeUndefined();
    expect(defaultKubeConfigProblem(kc, {})).toMatch(
      /KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT is not set/,
    );
  });
});
