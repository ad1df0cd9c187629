import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sink/kube/index.js';
import { startUseCase, type UseCaseRun } from '../../../support/use-case-run.js';

// examples/use-cases/blue-green on PostgreSQL (docs/use-cases/blue-green.md):
// each tenant gets a blue and a green Deployment at the versions of their
// columns, and the Service `web` follows `active_color`. A switch changes the
// Services' selectors only: neither Deployment is written (same generation,
// same resourceVersion).
describe('use cases > blue-green by a column', () => {
  let run: UseCaseRun;

  const get = (kind: string, name: string, uid = 'acme') =>
    run.kube.get({
      apiVersion: kind === 'Service' ? 'v1' : 'apps/v1',
      kind,
      namespace: run.tenantNamespace(uid),
      name,
    });
  const selectorOf = async (name: string, uid = 'acme') =>
    ((await get('Service', name, uid))?.spec as { selector?: Record<string, string> } | undefined)?.selector;
  const imageOf = (deployment: KubeObject | undefined) =>
    (deployment?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template
      .spec.containers[0]?.image;
  const available = async (name: string) => {
    const deployment = await get('Deployment', name);
    const status = deployment?.status as
      | { availableReplicas?: number; observedGeneration?: number }
      | undefined;
    return status?.availableReplicas === 1 && status.observedGeneration === deployment?.metadata.generation
      ? deployment
      : undefined;
  };

  beforeAll(async () => {
    run = await startUseCase({ example: 'blue-green', kind: 'postgres' });
  });

  afterAll(async () => {
    await run?.stop();
  });

  it('the tenants of schema.sql run both colours, the live Service on the active one', async () => {
    const blue = await run.until('acme web-blue Available', () => available('web-blue'));
    const green = await run.until('acme web-green Available', () => available('web-green'));
    expect(imageOf(blue)).toBe('nginx:1.27');
    expect(imageOf(green)).toBe('nginx:1.27');
    expect(await run.until('acme Service web', () => selectorOf('web'))).toEqual({
      app: 'web',
      color: 'blue',
    });
    expect(await selectorOf('web-preview')).toEqual({ app: 'web', color: 'green' });
    // globex starts on green, its preview on blue.
    expect(await run.until('globex Service web', () => selectorOf('web', 'globex'))).toEqual({
      app: 'web',
      color: 'green',
    });
    expect(await selectorOf('web-preview', 'globex')).toEqual({ app: 'web', color: 'blue' });
  });

  it('a new green version rolls green only; traffic stays on blue', async () => {
    const blueBefore = await run.until('web-blue settled', () => available('web-blue'));
    await run.db.exec(`UPDATE deployments SET green_version = '1.28' WHERE tenant_id = 'acme'`);
    const green = await run.until('web-green on 1.28', async () => {
      const deployment = await available('web-green');
      return imageOf(deployment) === 'nginx:1.28' ? deployment : undefined;
    });
    expect(green.metadata.generation).toBe(2);
    const blue = await get('Deployment', 'web-blue');
    expect(blue?.metadata.resourceVersion).toBe(blueBefore.metadata.resourceVersion);
    expect(await selectorOf('web')).toEqual({ app: 'web', color: 'blue' });
  });

  it('switching active_color switches both Services and writes neither Deployment', async () => {
    const before = {
      blue: await run.until('web-blue settled', () => available('web-blue')),
      green: await run.until('web-green settled', () => available('web-green')),
    };
    await run.db.exec(`UPDATE deployments SET active_color = 'green' WHERE tenant_id = 'acme'`);
    await run.until('Service web on green', async () =>
      (await selectorOf('web'))?.color === 'green' ? true : undefined,
    );
    expect(await selectorOf('web-preview')).toEqual({ app: 'web', color: 'blue' });
    for (const color of ['blue', 'green'] as const) {
      const after = await get('Deployment', `web-${color}`);
      expect(after?.metadata.generation, `web-${color} generation`).toBe(before[color].metadata.generation);
      expect(after?.metadata.resourceVersion, `web-${color} resourceVersion`).toBe(
        before[color].metadata.resourceVersion,
      );
    }

    // Rolling back is the same statement the other way round.
    await run.db.exec(`UPDATE deployments SET active_color = 'blue' WHERE tenant_id = 'acme'`);
    await run.until('Service web back on blue', async () =>
      (await selectorOf('web'))?.color === 'blue' ? true : undefined,
    );
    expect((await get('Deployment', 'web-green'))?.metadata.resourceVersion).toBe(
      before.green.metadata.resourceVersion,
    );
  });
});
