import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sink/kube/index.js';
import { OrphanLabel, OwnerLabel } from '../../../src/sink/ownership/index.js';
import { startUseCase, type UseCaseRun } from '../../../support/use-case-run.js';

// examples/use-cases/database-per-tenant on PostgreSQL
// (docs/use-cases/database-per-tenant.md), with the example's stand-in CRD
// for a Crossplane claim installed first: each tenant gets a claim sized by
// its row and an app that reads the Secret the claim names; a bigger size
// reaches the claim; deleting the row removes the app and keeps the claim.
interface Claim {
  parameters: { storageGB: number; version: string };
  compositionSelector: { matchLabels: Record<string, string> };
  writeConnectionSecretToRef: { name: string };
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

describe('use cases > a database per tenant', () => {
  let run: UseCaseRun;

  const claim = (uid: string) =>
    run.kube.get({
      apiVersion: 'database.example.org/v1alpha1',
      kind: 'PostgreSQLInstance',
      namespace: run.tenantNamespace(uid),
      name: 'db',
    });
  const app = (uid: string) =>
    run.kube.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: run.tenantNamespace(uid),
      name: 'app',
    });
  const claimSpec = (object: KubeObject | undefined) => object?.spec as Claim | undefined;
  const envOf = (deployment: KubeObject) =>
    (deployment.spec as { template: { spec: { containers: { env: EnvVar[] }[] } } }).template.spec
      .containers[0]?.env ?? [];

  beforeAll(async () => {
    run = await startUseCase({ example: 'database-per-tenant', kind: 'postgres', install: ['crd.yaml'] });
  });

  afterAll(async () => {
    await run?.stop();
  });

  it('each tenant gets a claim sized by its row, and an app that reads the Secret the claim names', async () => {
    const acme = claimSpec(await run.until('acme claim', () => claim('acme')));
    expect(acme).toEqual({
      parameters: { storageGB: 20, version: '16' },
      compositionSelector: { matchLabels: { plan: 'standard' } },
      writeConnectionSecretToRef: { name: 'acme-db-conn' },
    });
    const globex = claimSpec(await run.until('globex claim', () => claim('globex')));
    expect(globex?.parameters.storageGB).toBe(100);
    expect(globex?.compositionSelector.matchLabels.plan).toBe('dedicated');

    const env = envOf(await run.until('acme app', () => app('acme')));
    const secret = acme?.writeConnectionSecretToRef.name;
    expect(env.find((variable) => variable.name === 'DATABASE_SECRET')?.value).toBe(secret);
    for (const [name, key] of [
      ['DATABASE_HOST', 'endpoint'],
      ['DATABASE_USER', 'username'],
      ['DATABASE_PASSWORD', 'password'],
    ])
      expect(env.find((variable) => variable.name === name)?.valueFrom?.secretKeyRef).toEqual({
        name: secret,
        key,
      });
  });

  it('a bigger size in the row reaches the claim', async () => {
    await run.db.exec(`UPDATE tenants SET db_storage_gb = 50 WHERE tenant_id = 'acme'`);
    await run.until('acme claim at 50 GB', async () =>
      claimSpec(await claim('acme'))?.parameters.storageGB === 50 ? true : undefined,
    );
  });

  it('deleting the row removes the app and keeps the claim and its Namespace, orphaned', async () => {
    await run.db.exec(`DELETE FROM tenants WHERE tenant_id = 'acme'`);
    await run.until('acme app gone', async () => ((await app('acme')) ? undefined : true));
    const kept = await run.until('acme claim orphaned', async () => {
      const object = await claim('acme');
      return object?.metadata.labels?.[OrphanLabel] === 'true' ? object : undefined;
    });
    expect(kept.metadata.labels?.[OwnerLabel.node]).toBeUndefined();
    expect(claimSpec(kept)?.parameters.storageGB).toBe(50);
    const namespace = await run.kube.get({
      apiVersion: 'v1',
      kind: 'Namespace',
      name: run.tenantNamespace('acme'),
    });
    expect(namespace?.metadata.labels?.[OrphanLabel]).toBe('true');
    expect(await claim('globex')).toBeDefined();
  });
});
