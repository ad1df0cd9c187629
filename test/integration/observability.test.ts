import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readiness, startObservabilityServer } from '../../src/observability/index.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import { type AdminDatabase, openAdminDatabase } from '../../support/admin-database.js';
import { namespacePerTenantResources, oneHubYaml, writeConfigFile } from '../../support/config-file.js';
import { freePort } from '../../support/free-port.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { untilRunning } from '../../support/until-running.js';

// `rowkube run` with its HTTP server on: /healthz answers at once, /readyz
// turns 200 once capture streams, the processor took its partitions and the
// sink runs, and after a row is written /metrics shows the COMMIT→apply
// latency, the sink's actions, the captured events and each stage's lag.
const env = stackEnv();

/** The value of the sample `name{labels}` in a Prometheus exposition, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('Observability > rowkube run serves /metrics, /healthz and /readyz', () => {
  const tenants = uniqueName('obs_tenants');
  const prefix = uniqueName('rk');
  const base = uniqueName('obs').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  let db: AdminDatabase;
  let rowkube: RowkubeProcess;
  let url: string;

  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    return { status: response.status, body: await response.text() };
  };
  const until = <T>(what: string, probe: () => Promise<T | undefined>) =>
    untilRunning(() => rowkube, what, probe, { intervalMs: 250 });

  beforeAll(async () => {
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
        sections: `observability: { port: ${port}, lagIntervalSeconds: 1 }`,
        resources: namespacePerTenantResources(base),
      }),
    );
    rowkube = new RowkubeProcess(['run', '--config', config]);
  });

  afterAll(async () => {
    await rowkube?.stop();
    await kube.delete(
      { apiVersion: 'v1', kind: 'Namespace', name: `${base}-acme` },
      { propagation: 'Background' },
    );
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${tenants}`);
    await db?.close();
  });

  it('answers /healthz once it listens, and /readyz 200 once every stage runs', async () => {
    expect((await until('/healthz', () => get('/healthz').catch(() => undefined))).status).toBe(200);
    const ready = await until('/readyz to turn 200', async () => {
      const answer = await get('/readyz');
      return answer.status === 200 ? answer : undefined;
    });
    expect(JSON.parse(ready.body)).toEqual({
      ready: true,
      components: { 'capture/appdb': { ready: true }, processor: { ready: true }, sink: { ready: true } },
    });
  });

  it('shows the COMMIT→apply latency and its stages, sink actions, captured events and lag after a row is written', async () => {
    await db.exec(`INSERT INTO ${tenants} VALUES ('acme', 'gold')`);
    const text = await until('the latency histogram to count the new objects', async () => {
      const { body } = await get('/metrics');
      const count = sample(body, 'rowkube_commit_to_apply_latency_seconds_count', { action: 'created' });
      return count !== undefined && count >= 2 ? body : undefined;
    });
    expect(sample(text, 'rowkube_sink_actions_total', { action: 'created' })).toBeGreaterThanOrEqual(2);
    // The same writes split per stage: the change's times travelled through the desired record to the audit event.
    for (const stage of ['capture', 'process', 'apply'])
      expect(sample(text, 'rowkube_stage_latency_seconds_count', { stage })).toBeGreaterThanOrEqual(2);
    const processSeconds = sample(text, 'rowkube_stage_latency_seconds_sum', { stage: 'process' }) ?? -1;
    expect(processSeconds).toBeGreaterThan(0);
    expect(processSeconds).toBeLessThan(60);
    expect(sample(text, 'rowkube_capture_change_events_total', { source: 'appdb', table: tenants })).toBe(1);
    expect(sample(text, 'rowkube_processor_desired_records_total', { kind: 'node' })).toBe(1);
    expect(sample(text, 'rowkube_sink_last_applied_commit_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    // Both groups committed what they consumed: nothing but transaction markers is left.
    const lag = await until('both stages to have caught up', async () => {
      const { body } = await get('/metrics');
      const processor = sample(body, 'rowkube_consumer_lag_records', {
        stage: 'processor',
        topic: `${prefix}.appdb.${tenants}`,
      });
      const sink = sample(body, 'rowkube_consumer_lag_records', {
        stage: 'sink',
        topic: `${prefix}.desired`,
      });
      return processor !== undefined && sink !== undefined && processor <= 1 && sink <= 1
        ? { processor, sink }
        : undefined;
    });
    expect(lag.processor).toBeLessThanOrEqual(1);
  });
});

describe('Observability > server', () => {
  const logger = pino({ level: 'silent' });
  const metrics = { exposition: async () => 'm 1\n', contentType: 'text/plain; version=0.0.4' };

  it('answers /readyz 503 naming what is not ready, and unknown paths 404', async () => {
    const readiness = new Readiness();
    readiness.expect(['sink', 'processor']);
    readiness.set('sink', true);
    const server = await startObservabilityServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      readiness: () => readiness.report(),
      logger,
    });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        ready: false,
        components: { sink: { ready: true }, processor: { ready: false, reason: 'starting' } },
      });
      expect((await fetch(`${url}/nope`)).status).toBe(404);
      const scraped = await fetch(`${url}/metrics`);
      expect(scraped.headers.get('content-type')).toBe(metrics.contentType);
      expect(await scraped.text()).toBe('m 1\n');
    } finally {
      await server.close();
    }
  });

  it('refuses a port in use with ROWKUBE_ERR_CONFIG naming the address', async () => {
    const options = { host: '127.0.0.1', metrics, readiness: () => new Readiness().report(), logger };
    const first = await startObservabilityServer({ ...options, port: 0 });
    try {
      await expect(startObservabilityServer({ ...options, port: first.port })).rejects.toThrow(
        `ROWKUBE_ERR_CONFIG: observability: cannot listen on 127.0.0.1:${first.port} (EADDRINUSE)`,
      );
    } finally {
      await first.close();
    }
  });
});
