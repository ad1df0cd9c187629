import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino from 'pino';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../src/contracts/index.js';
import { Readiness, startObservabilityServer } from '../../src/observability/index.js';
import { type DashboardData, handleUi } from '../../src/observability/ui/ui-routes.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import { type AdminDatabase, openAdminDatabase } from '../../support/admin-database.js';
import { namespacePerTenantResources, oneHubYaml, writeConfigFile } from '../../support/config-file.js';
import { freePort } from '../../support/free-port.js';
import { launchHeadlessBrowser } from '../../support/headless-browser.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// The dashboard in a real browser: `rowkube run` (MariaDB → Kafka →
// kube-apiserver) serves /ui on its observability port, headless chromium
// loads it, and the test reads what a person would read: a new tenant's row
// says Ready, a broken row says Failed with its error code, the filters narrow
// the list, and the node page lists the objects and the history from the
// database transaction to each applied object. Screenshots of both pages are
// written under test-results/ui-dashboard/ and their paths printed.
const env = stackEnv();

/** The text a person sees in an element: rendered text, not the DOM's textContent (hidden parts left out). */
// biome-ignore lint/performance/useDomNodeTextContent: playwright's innerText is what the page shows, which the test asserts.
const seen = (locator: Locator) => locator.innerText();
const SHOTS = resolve('test-results', 'ui-dashboard');

describe('Dashboard > /ui in a headless browser against rowkube run', () => {
  const tenants = uniqueName('ui_tenants');
  const prefix = uniqueName('rk');
  const base = uniqueName('ui').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  let db: AdminDatabase;
  let rowkube: RowkubeProcess;
  let browser: Browser;
  let page: Page;
  let url: string;

  /** The text of the node list's line for `nodeId`, once it satisfies `ok`. */
  const rowText = (nodeId: string, ok: (text: string) => boolean) =>
    waitFor(
      `the node list to show ${nodeId} as expected`,
      async (bail) => {
        if (rowkube.exitCode !== null) bail(new Error(`rowkube run exited:\n${rowkube.lastOutput(40)}`));
        const row = page.locator(`#nodes tbody tr[data-node="${nodeId}"]`);
        if ((await row.count()) === 0) return undefined;
        const text = await seen(row);
        return ok(text) ? text : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    ).catch(async (error: Error) => {
      const shown = await seen(page.locator('main')).catch(() => '(no page)');
      throw new Error(
        `${error.message}\nthe page shows:\n${shown}\nrowkube run said:\n${rowkube.lastOutput(30)}`,
      );
    });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    db = await openAdminDatabase('mariadb');
    await db.exec(`CREATE TABLE ${tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20))`);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = writeConfigFile(
      oneHubYaml({
        prefix,
        namespaces: `${base}-*`,
        kind: 'mariadb',
        captureUrl: db.captureUrl,
        tables: [tenants],
        sections: `observability: { port: ${port}, ui: true }`,
        resources: namespacePerTenantResources(base),
      }),
    );
    rowkube = new RowkubeProcess(['run', '--config', config]);
    browser = await launchHeadlessBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await waitFor(
      'rowkube run to serve /ui/',
      async (bail) => {
        if (rowkube.exitCode !== null) bail(new Error(`rowkube run exited:\n${rowkube.lastOutput(40)}`));
        const response = await fetch(`${url}/ui/`).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  });

  afterAll(async () => {
    await browser?.close();
    await rowkube?.stop();
    await kube.delete(
      { apiVersion: 'v1', kind: 'Namespace', name: `${base}-acme` },
      { propagation: 'Background' },
    );
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}`);
    await db?.close();
  });

  it('shows a new tenant as Ready in the node list and in the counts of its form', async () => {
    await page.goto(`${url}/ui`);
    await expect(page.title()).resolves.toBe('rowkube');
    await db.exec(`INSERT INTO ${tenants} VALUES ('acme', 'gold')`);
    const text = await rowText('web/acme', (t) => t.includes('Ready'));
    expect(text).toContain('web/acme');
    expect(text).toContain('2/2');
    const summary = await seen(page.locator('#summary tbody tr[data-form="web"]'));
    expect(summary).toContain('tenants');
    expect(await seen(page.locator('#summary tbody tr[data-form="web"] td[data-state="Ready"]'))).toBe('1');
    // The chart: this process's sink wrote two objects, so the last minute has a p50 point.
    await waitFor('the chart to count the writes', async () =>
      /\d+ objects? written in the last hour/.test(await seen(page.locator('#chart-note')))
        ? true
        : undefined,
    );
    expect(await page.locator('#chart svg circle.p50').count()).toBeGreaterThan(0);
  });

  it('shows a row with an invalid name as Failed with ROWKUBE_ERR_INVALID_NAME, and the filters find it', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('Bad_Tenant', 'gold')`);
    const text = await rowText('web/Bad_Tenant', (t) => t.includes('Failed'));
    expect(text).toContain('ROWKUBE_ERR_INVALID_NAME');
    // The ids the node list shows, once they are `expected` (the page refreshes after each change of a filter).
    const listed = (expected: string[]) =>
      waitFor(`the node list to show only ${expected.join(', ')}`, async () => {
        const ids = await page
          .locator('#nodes tbody tr')
          .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-node')));
        return JSON.stringify(ids) === JSON.stringify(expected) ? ids : undefined;
      });
    // State filter: only the failed node is listed.
    await page.selectOption('#filter-state', 'Failed');
    await listed(['web/Bad_Tenant']);
    expect(page.url()).toContain('state=Failed');
    // Text filter: part of the node id, any case, with no state chosen.
    await page.selectOption('#filter-state', '');
    await page.fill('#filter-text', 'ACME');
    await listed(['web/acme']);
    expect(await seen(page.locator('#node-count'))).toBe('1 of 2 nodes match');
    await page.fill('#filter-text', '');
    await rowText('web/Bad_Tenant', (t) => t.includes('Failed'));
    const shot = join(SHOTS, 'overview.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard screenshot: ${shot}`);
  });

  it("opens a node's page: its objects, and its history from the transaction to each applied object", async () => {
    await page.click('#nodes a[href="#/node/web%2Facme"]');
    await page.locator('#node-page').waitFor({ state: 'visible' });
    expect(await seen(page.locator('#node-title'))).toBe('web/acme');
    await waitFor('the node page to show the state', async () =>
      (await seen(page.locator('#node-state'))) === 'Ready' ? true : undefined,
    );
    const objects = await waitFor('the objects to be listed', async () => {
      const text = await seen(page.locator('#node-objects tbody'));
      return text.includes('ConfigMap') ? text : undefined;
    });
    expect(objects).toContain('Namespace');
    expect(objects).toContain(`${base}-acme`);
    expect(objects).toContain('settings');
    const history = await waitFor('the history to be listed', async () => {
      const text = await seen(page.locator('#node-history'));
      return text.includes('Transaction committed') ? text : undefined;
    });
    expect(history).toContain(`appdb / ${tenants}`);
    expect(history).toContain(`Namespace ${base}-acme`);
    expect(history).toContain(`ConfigMap ${base}-acme/settings`);
    // Each action with its latency after the commit.
    expect(history).toMatch(/created\s+Namespace \S+\s+\+\d/);
    const shot = join(SHOTS, 'node.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard node page screenshot: ${shot}`);
  });
});

describe('Dashboard > routes', () => {
  const node: NodeStatus = {
    nodeId: 'web/acme',
    hub: 'tenants',
    form: 'web',
    state: 'Ready',
    stateSinceMs: 1_000n,
    updatedAtMs: 2_000n,
    objects: [],
    source: 'appdb',
    table: 'tenants',
    position: '{"gtid":"0-1-5"}',
    commitTsMs: 900n,
    contentHash: 'h',
    error: null,
  };
  const data: DashboardData = {
    prefix: 'rk',
    status: () => ({ ready: true, nodes: [node] }),
    history: async () => {
      throw new Error('the audit topic is away');
    },
    latencyFed: false,
    latency: () => [],
  };
  let server: Awaited<ReturnType<typeof startObservabilityServer>>;
  let url: string;

  beforeAll(async () => {
    server = await startObservabilityServer({
      host: '127.0.0.1',
      port: 0,
      metrics: { exposition: async () => '', contentType: 'text/plain' },
      readiness: () => new Readiness().report(),
      logger: pino({ level: 'silent' }),
      ui: (path, query, response) => handleUi(data, path, query, response),
    });
    url = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server?.close());

  it('serves the page from its own files, nothing from elsewhere', async () => {
    const redirect = await fetch(`${url}/ui`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([308, '/ui/']);
    const html = await fetch(`${url}/ui/`);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await html.text()).not.toMatch(/https?:\/\//);
    expect((await fetch(`${url}/ui/app.js`)).headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${url}/ui/../package.json`)).status).toBe(404);
    expect((await fetch(`${url}/ui/nope.js`)).status).toBe(404);
    // The server's own paths still answer.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('answers the API in JSON, 400 naming a bad parameter, 404 for an unknown node', async () => {
    const nodes = await (await fetch(`${url}/ui/api/nodes?state=Ready&q=acme`)).json();
    expect(nodes).toMatchObject({ ready: true, total: 1, matched: 1, nodes: [{ nodeId: 'web/acme' }] });
    const bad = await fetch(`${url}/ui/api/nodes?state=ready`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('state="ready" is not a node state');
    expect((await fetch(`${url}/ui/api/nodes?limit=0`)).status).toBe(400);
    // A history that cannot be read still shows the node, saying why.
    const one = await (await fetch(`${url}/ui/api/node?id=web%2Facme`)).json();
    expect(one).toMatchObject({
      node: { nodeId: 'web/acme', commitTsMs: 900 },
      history: [],
      historyProblem: 'the history cannot be read: the audit topic is away',
    });
    expect((await fetch(`${url}/ui/api/node`)).status).toBe(400);
    expect((await fetch(`${url}/ui/api/unknown`)).status).toBe(404);
    const summary = (await (await fetch(`${url}/ui/api/summary`)).json()) as { hubs: unknown[] };
    expect(summary.hubs[0]).toMatchObject({ hub: 'tenants', total: 1, states: { Ready: 1 } });
  });
});
