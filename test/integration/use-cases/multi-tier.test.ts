import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sink/kube/index.js';
import { OrphanLabel, OwnerLabel } from '../../../src/sink/ownership/index.js';
import { startUseCase, type UseCaseRun } from '../../../support/use-case-run.js';

// examples/use-cases/multi-tier on MariaDB (docs/use-cases/multi-tier.md):
// web, api and worker scale by their own columns; the database tier is
// created once (a version change leaves it alone) and kept, orphaned, with
// its Namespace when the tenant's row is deleted, while the other tiers go.
describe('use cases > multi-tier stack', () => {
  let run: UseCaseRun;

  const get = (kind: string, name: string, uid = 'acme') =>
    run.kube.get({
      apiVersion: kind === 'Service' ? 'v1' : 'apps/v1',
      kind,
      namespace: run.tenantNamespace(uid),
      name,
    });
  const spec = (object: KubeObject | undefined) =>
    object?.spec as
      | { replicas?: number; template: { spec: { containers: { image: string }[] } } }
      | undefined;
  const imageOf = (object: KubeObject | undefined) => spec(object)?.template.spec.containers[0]?.image;
  const available = async (name: string, replicas: number, uid = 'acme') => {
    const deployment = await get('Deployment', name, uid);
    const status = deployment?.status as
      | { availableReplicas?: number; observedGeneration?: number }
      | undefined;
    return spec(deployment)?.replicas === replicas &&
      status?.availableReplicas === replicas &&
      status.observedGeneration === deployment?.metadata.generation
      ? deployment
      : undefined;
  };

  beforeAll(async () => {
    run = await startUseCase({ example: 'multi-tier', kind: 'mariadb' });
  });

  afterAll(async () => {
    await run?.stop();
  });

  it('each tier comes up with its own replicas; web only once the api is Available', async () => {
    const api = await run.until('acme api Available with 2', () => available('api', 2));
    const web = await run.until('acme web Available with 2', () => available('web', 2));
    await run.until('acme worker Available with 1', () => available('worker', 1));
    await run.until('globex worker Available with 3', () => available('worker', 3, 'globex'));
    const apiAvailable = (
      api.status as { conditions: { type: string; lastTransitionTime: string }[] }
    ).conditions.find((condition) => condition.type === 'Available');
    expect(Date.parse(web.metadata.creationTimestamp as string)).toBeGreaterThanOrEqual(
      Date.parse(apiAvailable?.lastTransitionTime as string),
    );
    expect(imageOf(web)).toBe('ghcr.io/example/web:2.4.0');

    const db = await run.until('acme db StatefulSet', () => get('StatefulSet', 'db'));
    expect(imageOf(db)).toBe('postgres:16');
    expect((await get('Service', 'db'))?.spec).toMatchObject({ clusterIP: 'None', selector: { tier: 'db' } });
    expect((await get('Service', 'api'))?.spec).toMatchObject({ selector: { tier: 'api' } });
  });

  it('a tier’s replicas column scales that tier alone', async () => {
    const before = { web: await get('Deployment', 'web'), worker: await get('Deployment', 'worker') };
    await run.db.exec(`UPDATE tenants SET api_replicas = 3 WHERE tenant_id = 'acme'`);
    await run.until('acme api Available with 3', () => available('api', 3));
    expect((await get('Deployment', 'web'))?.metadata.generation).toBe(before.web?.metadata.generation);
    expect((await get('Deployment', 'worker'))?.metadata.generation).toBe(before.worker?.metadata.generation);
  });

  it('a new version rolls web, api and worker; the database tier, created Once, keeps its version', async () => {
    const db = await get('StatefulSet', 'db');
    await run.db.exec(`UPDATE tenants SET app_version = '2.5.0', db_version = '17' WHERE tenant_id = 'acme'`);
    for (const tier of ['api', 'web', 'worker'])
      await run.until(`acme ${tier} on 2.5.0`, async () =>
        imageOf(await get('Deployment', tier)) === `ghcr.io/example/${tier}:2.5.0` ? true : undefined,
      );
    const after = await get('StatefulSet', 'db');
    expect(imageOf(after)).toBe('postgres:16');
    expect(after?.metadata.generation).toBe(db?.metadata.generation);
  });

  it('deleting the row removes web, api and worker, and keeps the database tier and Namespace, orphaned', async () => {
    await run.db.exec(`DELETE FROM tenants WHERE tenant_id = 'acme'`);
    for (const [kind, name] of [
      ['Deployment', 'web'],
      ['Deployment', 'api'],
      ['Deployment', 'worker'],
      ['Service', 'web'],
      ['Service', 'api'],
    ] as const)
      await run.until(`acme ${kind} ${name} gone`, async () => ((await get(kind, name)) ? undefined : true));

    const kept = [
      await get('StatefulSet', 'db'),
      await get('Service', 'db'),
      await run.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: run.tenantNamespace('acme') }),
    ];
    for (const object of kept) {
      expect(object, 'a retained object').toBeDefined();
      expect(object?.metadata.labels?.[OrphanLabel], `${object?.kind} orphaned`).toBe('true');
      expect(object?.metadata.labels?.[OwnerLabel.node], `${object?.kind} owner`).toBeUndefined();
    }
    // The other tenant is untouched.
    expect(await available('worker', 3, 'globex')).toBeDefined();
  });
});
