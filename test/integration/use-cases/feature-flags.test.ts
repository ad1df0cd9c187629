import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sink/kube/index.js';
import { startUseCase, type UseCaseRun } from '../../../support/use-case-run.js';

// examples/use-cases/feature-flags on PostgreSQL (docs/use-cases/feature-flags.md):
// application flags reach the app's environment; the infrastructure flag
// adds a Redis StatefulSet and its Service (includeWhen) for the tenants that
// have it, and removes both when it is turned off, the app staying.
interface Container {
  args?: string[];
  env?: { name: string; value?: string }[];
}

describe('use cases > feature flags', () => {
  let run: UseCaseRun;

  const get = (apiVersion: string, kind: string, uid: string, name: string) =>
    run.kube.get({ apiVersion, kind, namespace: run.tenantNamespace(uid), name });
  const redis = (uid: string) => get('apps/v1', 'StatefulSet', uid, 'redis');
  const redisService = (uid: string) => get('v1', 'Service', uid, 'redis');
  const app = (uid: string) => get('apps/v1', 'Deployment', uid, 'app');
  const container = (object: KubeObject) =>
    (object.spec as { template: { spec: { containers: Container[] } } }).template.spec
      .containers[0] as Container;
  const env = (object: KubeObject) =>
    Object.fromEntries(
      (container(object).env ?? []).map((variable) => [variable.name, variable.value ?? '']),
    );

  beforeAll(async () => {
    run = await startUseCase({ example: 'feature-flags', kind: 'postgres' });
  });

  afterAll(async () => {
    await run?.stop();
  });

  it('each app sees its flags; only the tenant with the cache flag has Redis', async () => {
    // The tenants table's snapshot may come before the flags': wait for the flags to be in.
    const withFlags = (uid: string, flag: string) => async () => {
      const object = await app(uid);
      return object && env(object)[flag] === 'true' ? env(object) : undefined;
    };
    const acme = await run.until('acme app with its flags', withFlags('acme', 'FEATURE_NEW_CHECKOUT'));
    expect(acme).toMatchObject({ FEATURE_NEW_CHECKOUT: 'true', FEATURE_DARK_MODE: 'false' });
    expect(acme.FEATURE_FLAGS?.trim()).toBe('new_checkout');
    expect(acme.REDIS_URL).toBe(`redis://redis.${run.tenantNamespace('acme')}.svc:6379`);
    const cache = await run.until('acme Redis', () => redis('acme'));
    expect(container(cache).args).toEqual(['--maxmemory', '512mb', '--maxmemory-policy', 'allkeys-lru']);
    expect(await run.until('acme Redis Service', () => redisService('acme'))).toBeDefined();

    const globex = await run.until('globex app with its flags', withFlags('globex', 'FEATURE_DARK_MODE'));
    expect(globex).toMatchObject({ FEATURE_NEW_CHECKOUT: 'false', FEATURE_DARK_MODE: 'true', REDIS_URL: '' });
    expect(await redis('globex')).toBeUndefined();
    expect(await redisService('globex')).toBeUndefined();
  });

  it('flipping an application flag row changes the app environment', async () => {
    await run.db.exec(
      `UPDATE feature_flags SET enabled = TRUE WHERE tenant_id = 'acme' AND flag = 'dark_mode'`,
    );
    await run.until('acme dark mode on', async () => {
      const object = await app('acme');
      return object && env(object).FEATURE_DARK_MODE === 'true' ? true : undefined;
    });
  });

  it('turning the cache flag on adds Redis and its Service; off removes them and keeps the app', async () => {
    await run.db.exec(`INSERT INTO infra_flags (tenant_id, redis_cache) VALUES ('globex', TRUE)`);
    await run.until('globex Redis', () => redis('globex'));
    await run.until('globex Redis Service', () => redisService('globex'));
    await run.until('globex app told about Redis', async () => {
      const object = await app('globex');
      return object && env(object).REDIS_URL !== '' ? true : undefined;
    });

    await run.db.exec(`UPDATE infra_flags SET redis_cache = FALSE WHERE tenant_id = 'acme'`);
    await run.until('acme Redis pruned', async () => ((await redis('acme')) ? undefined : true));
    await run.until('acme Redis Service pruned', async () =>
      (await redisService('acme')) ? undefined : true,
    );
    const acme = await app('acme');
    expect(acme && env(acme).REDIS_URL).toBe('');
  });
});
