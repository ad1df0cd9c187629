import { chmodSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/sink/kube/index.js';
import { type AdminDatabase, openAdminDatabase } from '../../support/admin-database.js';
import { writeConfigFile } from '../../support/config-file.js';
import { podman, removeContainer, requireImage, runInImage } from '../../support/rowkube-image.js';
import type { RowkubeProcess } from '../../support/rowkube-process.js';
import {
  adminRequest,
  bindClusterRole,
  createBindingSecret,
  createServiceAccount,
  mintServiceAccountToken,
  SERVICE_ACCOUNT_MOUNT,
  tokenStatus,
  writeServiceAccountMount,
} from '../../support/service-account-token.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// The container image (deploy/image/build, run by scripts/test.sh before the
// tests) as a user runs it: `rowkube version`, then `rowkube run` on a MariaDB
// source with host networking and the configuration mounted, first with a
// mounted kubeconfig, then as in a pod: no kubeconfig, the service account's
// token, CA and namespace mounted where the kubelet puts them, and the token
// rotated while it runs.
const env = stackEnv();
const packageVersion = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** The API server's port, which a pod finds in KUBERNETES_SERVICE_PORT. */
function apiserverPort(): string {
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  return new URL(kc.getCurrentCluster()?.server ?? '').port;
}

beforeAll(requireImage);

describe('the container image', () => {
  it('runs `rowkube version` as a non-root user', async () => {
    const name = uniqueName('rk-version').replaceAll('_', '-');
    try {
      expect(
        (await podman(['run', '--rm', '--name', name, 'localhost/rowkube:latest', 'version'])).trim(),
      ).toBe(`rowkube ${packageVersion}`);
    } finally {
      await removeContainer(name);
    }
    const [config] = JSON.parse(await podman(['image', 'inspect', 'localhost/rowkube:latest'])) as {
      Config: { User?: string; Entrypoint?: string[]; WorkingDir?: string; Env?: string[] };
    }[];
    expect(config?.Config.User).toBe('65532:65532');
    expect(config?.Config.Entrypoint).toEqual(['/usr/bin/node', '/app/bin/rowkube.js']);
    expect(config?.Config.Env).toContain('NODE_ENV=production');
    // No shell to run anything else with.
    await expect(
      podman(['run', '--rm', '--entrypoint', '/bin/sh', 'localhost/rowkube:latest', '-c', 'true']),
    ).rejects.toThrow();
  });
});

describe('the container image > rowkube run on MariaDB', () => {
  const table = uniqueName('image_rows');
  const prefix = uniqueName('rk');
  const namespace = uniqueName('image').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const containers: string[] = [];
  let db: AdminDatabase;

  /** A configuration folder readable by the container's user; kubeconfig: a path inside the container, or none. */
  function mountedConfig(topicPrefix: string, kubeconfig?: string): string {
    const file = writeConfigFile(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${topicPrefix} }
kubernetes:
${kubeconfig ? `  kubeconfig: ${kubeconfig}\n` : ''}  allowedNamespaces: ["${namespace}"]
sources:
  - name: appdb
    mysql: { url: "${db.captureUrl}" }
    tables: [${table}]
hubs:
  - { name: rows, source: appdb, table: ${table}, uid: id, values: { note: note } }
forms:
  - name: row
    hub: rows
    resources:
      - id: cm
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "row-{{ uid }}", namespace: "${namespace}" }
          data: { note: "{{ note }}" }
`,
    );
    chmodSync(dirname(file), 0o755);
    chmodSync(file, 0o644);
    return dirname(file);
  }

  function start(podmanArgs: string[], configDir: string): RowkubeProcess {
    const name = uniqueName('rk-run').replaceAll('_', '-');
    containers.push(name);
    return runInImage(
      name,
      ['--network', 'host', '-v', `${configDir}:/etc/rowkube:ro`, ...podmanArgs],
      ['run', '--config', '/etc/rowkube/rowkube.yaml'],
    );
  }

  /** Waits until ConfigMap row-ID has `note` (undefined: until it is gone). */
  async function applied(rowkube: RowkubeProcess, id: string, note: string | undefined): Promise<void> {
    await waitFor(
      note === undefined ? `ConfigMap row-${id} deleted` : `ConfigMap row-${id} with note ${note}`,
      async () => {
        if (rowkube.exitCode !== null) throw new Error(`rowkube run exited:\n${rowkube.lastOutput(40)}`);
        const cm = (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: `row-${id}` })) as
          | { data?: Record<string, string> }
          | undefined;
        if (note === undefined) return cm === undefined ? true : undefined;
        return cm?.data?.note === note ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nrowkube run said:\n${rowkube.lastOutput(30)}`);
    });
  }

  beforeAll(async () => {
    db = await openAdminDatabase('mariadb');
    await db.exec(`CREATE TABLE ${table} (id VARCHAR(63) PRIMARY KEY, note VARCHAR(100))`);
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'test-setup', force: true },
    );
  });

  afterAll(async () => {
    for (const name of containers) await removeContainer(name);
    await kube.delete(
      { apiVersion: 'v1', kind: 'Namespace', name: namespace },
      { propagation: 'Background' },
    );
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${table}`);
    await db?.close();
  });

  it('applies, updates and deletes with the kubeconfig mounted, and stops cleanly on SIGTERM', async () => {
    const config = mountedConfig(`${prefix}_a`, '/etc/kube/config');
    const rowkube = start(['-v', `${env.kubeconfig}:/etc/kube/config:ro`], config);
    try {
      await db.exec(`INSERT INTO ${table} VALUES ('one', 'from-the-image')`);
      await applied(rowkube, 'one', 'from-the-image');
      await db.exec(`UPDATE ${table} SET note = 'updated' WHERE id = 'one'`);
      await applied(rowkube, 'one', 'updated');
      await db.exec(`DELETE FROM ${table} WHERE id = 'one'`);
      await applied(rowkube, 'one', undefined);
    } finally {
      expect(await rowkube.stop()).toBe(0);
    }
  }, 150_000);

  it('in a pod: uses the mounted service-account token, and follows it when it is rotated', async () => {
    const account = await createServiceAccount(env.kubeconfig, namespace);
    const binding = await bindClusterRole(env.kubeconfig, namespace, account, 'cluster-admin');
    const secret = await createBindingSecret(env.kubeconfig, namespace, `${account}-first`);
    const first = await mintServiceAccountToken(env.kubeconfig, namespace, account, {
      boundObjectRef: secret,
    });
    const mount = writeServiceAccountMount(env.kubeconfig, namespace, first);
    const port = apiserverPort();
    const rowkube = start(
      [
        '-v',
        `${mount.dir}:${SERVICE_ACCOUNT_MOUNT}:ro`,
        '-e',
        'KUBERNETES_SERVICE_HOST=127.0.0.1',
        '-e',
        `KUBERNETES_SERVICE_PORT=${port}`,
      ],
      mountedConfig(`${prefix}_b`),
    );
    try {
      await db.exec(`INSERT INTO ${table} VALUES ('two', 'first-token')`);
      await applied(rowkube, 'two', 'first-token');

      // The kubelet writes a new token; the old one dies with its bound object.
      mount.rotate(await mintServiceAccountToken(env.kubeconfig, namespace, account));
      await adminRequest(env.kubeconfig, 'DELETE', `/api/v1/namespaces/${namespace}/secrets/${secret.name}`);
      // The API server caches a good token for a few seconds: wait until it refuses the first one.
      await waitFor('the first token refused', async () =>
        (await tokenStatus(env.kubeconfig, first)) === 401 ? true : undefined,
      );
      await db.exec(`INSERT INTO ${table} VALUES ('three', 'second-token')`);
      await applied(rowkube, 'three', 'second-token');
    } finally {
      expect(await rowkube.stop()).toBe(0);
      await adminRequest(
        env.kubeconfig,
        'DELETE',
        `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${binding}`,
      );
    }
  }, 150_000);
});
