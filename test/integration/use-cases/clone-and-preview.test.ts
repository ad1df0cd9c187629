import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUseCase, type UseCaseRun } from '../../../support/use-case-run.js';
import { waitFor } from '../../../support/wait-for.js';

// examples/use-cases/clone-and-preview on MariaDB (docs/use-cases/clone-and-preview.md):
// copying an environment's rows under a new id creates a complete copy; a
// preview goes away at its expires_at with no change arriving (within a
// couple of seconds of the time); moving the time later keeps it; and a
// preview that expires while rowkube is stopped is removed at the next start.

describe('use cases > clone an environment, preview environments that expire', () => {
  let run: UseCaseRun;

  const get = (uid: string, kind: 'ConfigMap' | 'Deployment', name: string) =>
    run.kube.get({
      apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
      kind,
      namespace: run.tenantNamespace(uid),
      name,
    });
  const namespace = (uid: string) =>
    run.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: run.tenantNamespace(uid) });
  /** Gone, or on its way out (a Namespace terminates while the controller empties it). */
  const removed = (uid: string) => async () => {
    const ns = await namespace(uid);
    return (await get(uid, 'Deployment', 'app')) === undefined &&
      (ns === undefined || ns.metadata.deletionTimestamp !== undefined)
      ? true
      : undefined;
  };
  /** The clone.sql of the example, for a preview id and an expiry `seconds` from now. */
  const clone = (id: string, seconds: number) =>
    run.db.transaction(async () => {
      await run.db.exec(
        `INSERT INTO env_settings (env_id, name, value) SELECT '${id}', name, value FROM env_settings WHERE env_id = 'acme'`,
      );
      await run.db.exec(
        `INSERT INTO environments (env_id, app_version, replicas, cloned_from, expires_at)
         SELECT '${id}', app_version, 1, env_id, NOW(3) + INTERVAL ${seconds} SECOND FROM environments WHERE env_id = 'acme'`,
      );
    });
  const expiresAtMs = async (id: string): Promise<number> => {
    const [row] = await run.db.query(
      `SELECT FLOOR(UNIX_TIMESTAMP(expires_at) * 1000) AS ms FROM environments WHERE env_id = '${id}'`,
    );
    return Number(row?.ms);
  };
  const sleepUntil = (ms: number) =>
    new Promise((resolve) => setTimeout(resolve, Math.max(0, ms - Date.now())));

  beforeAll(async () => {
    run = await startUseCase({ example: 'clone-and-preview', kind: 'mariadb' });
  });

  afterAll(async () => {
    await run?.stop();
  });

  it('copying the rows under a new id creates a complete copy of the environment', async () => {
    const original = await run.until('acme settings', () => get('acme', 'ConfigMap', 'settings'));
    expect((original.data as Record<string, string>)['app.env']).toContain('PAYMENT_PROVIDER=stripe');
    await clone('acme-pr-42', 12);
    const copy = await run.until('acme-pr-42 settings', () => get('acme-pr-42', 'ConfigMap', 'settings'));
    expect(copy.data).toEqual(original.data);
    expect((await namespace('acme-pr-42'))?.metadata.labels?.['cloned-from']).toBe('acme');
    await run.until('acme-pr-42 app', () => get('acme-pr-42', 'Deployment', 'app'));
  });

  it('the preview is removed at its expiry time, with no change arriving', async () => {
    const at = await expiresAtMs('acme-pr-42');
    await sleepUntil(at - 1_000);
    expect(await get('acme-pr-42', 'Deployment', 'app')).toBeDefined();
    await run.until('acme-pr-42 removed', removed('acme-pr-42'), at + 15_000 - Date.now());
    // Within a couple of seconds of the time (the sink's delete included).
    expect(Date.now() - at).toBeLessThan(3_000);
    expect(await get('acme', 'Deployment', 'app')).toBeDefined();
  });

  it('moving the expiry later keeps the preview until the new time', async () => {
    await clone('acme-pr-43', 5);
    await run.until('acme-pr-43 app', () => get('acme-pr-43', 'Deployment', 'app'));
    const first = await expiresAtMs('acme-pr-43');
    await run.db.exec(
      `UPDATE environments SET expires_at = expires_at + INTERVAL 6 SECOND WHERE env_id = 'acme-pr-43'`,
    );
    await sleepUntil(first + 2_000);
    expect(await get('acme-pr-43', 'Deployment', 'app')).toBeDefined();
    const extended = await expiresAtMs('acme-pr-43');
    expect(extended).toBe(first + 6_000);
    await run.until('acme-pr-43 removed', removed('acme-pr-43'), extended + 15_000 - Date.now());
    expect(Date.now() - extended).toBeLessThan(3_000);
  });

  it('a preview that expires while rowkube is stopped is removed at the next start', async () => {
    await clone('acme-pr-44', 4);
    await run.until('acme-pr-44 app', () => get('acme-pr-44', 'Deployment', 'app'));
    const at = await expiresAtMs('acme-pr-44');
    await run.restart(async () => {
      await sleepUntil(at + 1_000);
      // Still there: nothing ran to remove it.
      expect(await get('acme-pr-44', 'Deployment', 'app')).toBeDefined();
    });
    await run.until('acme-pr-44 removed after the start', removed('acme-pr-44'), 60_000);
    await waitFor('acme kept', async () => ((await get('acme', 'Deployment', 'app')) ? true : undefined));
  });
});
