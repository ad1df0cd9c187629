import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ReadinessReport } from '../src/observability/readiness.js';
import { KubeClient, type KubeObject } from '../src/sink/kube/index.js';
import { type DatabaseKind, openAdminDatabase, sourceKey } from './admin-database.js';
import { freePort } from './free-port.js';
import { type LogLine, RowkubeProcess } from './rowkube-process.js';
import { stackEnv, uniqueName } from './stack-env.js';
import { waitFor } from './wait-for.js';

// One `rowkube run` for a fault test: its own table, topic prefix, namespaces
// and observability port; a row of `tenants` becomes a namespace and a
// ConfigMap `settings` holding the row's plan. What the test looks at while a
// dependency is down: /readyz, whether the process still runs, and its log
// lines by level and time.

export type { LogLine } from './rowkube-process.js';

export const WARN = 40;
export const ERROR = 50;

/**
 * What a log line about an unreachable dependency says. The fault tests allow
 * none of these at error level during an outage, and a few other error lines
 * (kafkajs's start-up noise, e.g. the "Topic creation errors" race).
 */
export const UNREACHABLE_TEXT =
  /ECONNREFUSED|ECONNRESET|Connection error|did not answer|connection terminated/i;
export const MAX_UNREACHABLE_ERRORS = 0;
export const MAX_ERRORS = 8;

export class FaultPipeline {
  readonly tenants = uniqueName('fault_tenants');
  readonly prefix = uniqueName('rk');
  readonly base = uniqueName('fault').replaceAll('_', '-');
  /** Unique too: a source's name is its capture's Kafka transactional id, shared by every prefix. */
  readonly source = uniqueName('db');
  private readonly kube = KubeClient.fromKubeconfigFile(stackEnv().kubeconfig);
  private process: RowkubeProcess | undefined;
  private config = '';
  private url = '';
  private readonly uids = new Set<string>();

  constructor(readonly kind: DatabaseKind) {}

  /** Creates the table (the database must be up) and writes the configuration. */
  async prepare(): Promise<void> {
    await this.exec(
      `CREATE TABLE ${this.tenants} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20), active BOOLEAN)`,
    );
    if (this.kind === 'postgres')
      await this.exec(`CREATE PUBLICATION ${this.prefix} FOR TABLE ${this.tenants}`);
    const env = stackEnv();
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const captureUrl = { mariadb: env.mysqlUrl, mysql: env.oracleMysqlUrl, postgres: env.pgUrl }[this.kind];
    const postgres = this.kind === 'postgres' ? `, slot: ${this.prefix}, publication: ${this.prefix}` : '';
    this.config = join(mkdtempSync(join(tmpdir(), 'rowkube-fault-')), 'rowkube.yaml');
    writeFileSync(
      this.config,
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${this.prefix} }
kubernetes:
  kubeconfig: ${env.kubeconfig}
  allowedNamespaces: ["${this.base}-*"]
observability: { port: ${port} }
sources:
  - name: ${this.source}
    ${sourceKey(this.kind)}: { url: "${captureUrl}"${postgres} }
    tables: [${this.tenants}]
hubs:
  - name: tenants
    source: ${this.source}
    table: ${this.tenants}
    uid: tenant_id
    activate: active
    values: { plan: plan }
forms:
  - name: web
    hub: tenants
    resources:
      - id: ns
        manifest: { apiVersion: v1, kind: Namespace, metadata: { name: "${this.base}-{{ uid }}" } }
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: settings, namespace: "${this.base}-{{ uid }}" }
          data: { plan: "{{ plan }}" }
`,
    );
  }

  /** Starts `rowkube run` with info-level logs. */
  start(): void {
    this.process = new RowkubeProcess(['run', '--config', this.config]);
  }

  get rowkube(): RowkubeProcess {
    if (this.process === undefined) throw new Error('the pipeline was not started');
    return this.process;
  }

  /** Runs SQL on a connection of its own: the database may have restarted since the last statement. */
  async exec(sql: string): Promise<void> {
    const db = await openAdminDatabase(this.kind);
    try {
      await db.exec(sql);
    } finally {
      await db.close();
    }
  }

  /** Writes a tenant row (insert or update). */
  async upsert(uid: string, plan: string): Promise<void> {
    this.uids.add(uid);
    await this.exec(
      this.kind !== 'postgres'
        ? `INSERT INTO ${this.tenants} VALUES ('${uid}', '${plan}', true) ON DUPLICATE KEY UPDATE plan = VALUES(plan)`
        : `INSERT INTO ${this.tenants} VALUES ('${uid}', '${plan}', true) ON CONFLICT (tenant_id) DO UPDATE SET plan = EXCLUDED.plan`,
    );
  }

  async remove(uid: string): Promise<void> {
    await this.exec(`DELETE FROM ${this.tenants} WHERE tenant_id = '${uid}'`);
  }

  /** The plan in a tenant's ConfigMap, or undefined when the ConfigMap does not exist. */
  async plan(uid: string): Promise<string | undefined> {
    const object: KubeObject | undefined = await this.kube.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: `${this.base}-${uid}`,
      name: 'settings',
    });
    return (object?.data as Record<string, string> | undefined)?.plan;
  }

  /** /readyz as JSON with its status, or undefined while the server does not answer. */
  async readyz(): Promise<{ status: number; report: ReadinessReport } | undefined> {
    try {
      const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      return { status: response.status, report: (await response.json()) as ReadinessReport };
    } catch {
      return undefined;
    }
  }

  /** Waits for a condition, failing at once (with the process's last words) if rowkube exits. */
  async until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
    const rowkube = this.rowkube;
    const stopWatching = new AbortController();
    const exited = rowkube.exited().then((code) => {
      if (stopWatching.signal.aborted) return undefined as never;
      throw new Error(`rowkube run exited with ${code}`);
    });
    try {
      return await Promise.race([waitFor(what, probe, { timeoutMs, intervalMs: 250 }), exited]);
    } catch (error) {
      throw new Error(
        `${this.kind}: ${(error as Error).message}\nrowkube run said:\n${rowkube.lastOutput(15)}`,
      );
    } finally {
      stopWatching.abort();
    }
  }

  /** The readiness component of this pipeline's capture. */
  get captureComponent(): string {
    return `capture/${this.source}`;
  }

  /**
   * The process's log lines at `level` or above, written between two times
   * (ms since epoch); with `about`, only those whose text matches it.
   */
  logLines(level: number, fromMs: number, toMs: number, about?: RegExp): LogLine[] {
    return this.rowkube.logLines(about, level).filter((line) => line.time >= fromMs && line.time <= toMs);
  }

  async close(): Promise<void> {
    await this.process?.stop();
    // For a look at what rowkube logged through an outage that passed.
    const keep = process.env.ROWKUBE_FAULT_LOG_DIR;
    if (keep !== undefined && this.process !== undefined)
      writeFileSync(join(keep, `${this.prefix}-${this.kind}.log`), this.process.text());
    for (const uid of this.uids)
      await this.kube
        .delete(
          { apiVersion: 'v1', kind: 'Namespace', name: `${this.base}-${uid}` },
          { propagation: 'Background' },
        )
        .catch(() => undefined);
    this.kube.close();
    await this.exec(`DROP TABLE IF EXISTS ${this.tenants}`).catch(() => undefined);
    if (this.kind === 'postgres') {
      await this.exec(`DROP PUBLICATION IF EXISTS ${this.prefix}`).catch(() => undefined);
      await this.exec(
        `SELECT pg_drop_replication_slot('${this.prefix}') FROM pg_replication_slots WHERE slot_name = '${this.prefix}'`,
      ).catch(() => undefined);
    }
  }
}

/** A component's readiness reason in a report, if it is not ready. */
export function notReadyReason(report: ReadinessReport | undefined, component: string): string | undefined {
  const state = report?.components[component];
  return state === undefined || state.ready ? undefined : state.reason;
}

/** What /readyz said of each component during an outage, and whether the process kept running. */
export interface OutageWatch {
  /** Every not-ready reason seen, per component. */
  reasons: Map<string, Set<string>>;
  /** The exit code if the process ended during the outage. */
  exitCode: number | null;
}

/**
 * Polls each pipeline's /readyz for `ms` — the length of the outage the test
 * stages, not a wait for a condition — and gathers what it said.
 */
export async function watchOutage(pipelines: readonly FaultPipeline[], ms: number): Promise<OutageWatch[]> {
  const watches = pipelines.map((): OutageWatch => ({ reasons: new Map(), exitCode: null }));
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await Promise.all(
      pipelines.map(async (pipeline, i) => {
        const watch = watches[i] as OutageWatch;
        watch.exitCode = pipeline.rowkube.exitCode;
        const answer = await pipeline.readyz();
        for (const [component, state] of Object.entries(answer?.report.components ?? {})) {
          if (state.ready || state.reason === undefined) continue;
          const seen = watch.reasons.get(component) ?? new Set<string>();
          seen.add(state.reason);
          watch.reasons.set(component, seen);
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(500, end - Date.now()))));
  }
  return watches;
}

/**
 * Asserts the log of an outage: warnings about it, no error about the
 * unreachable dependency, and no more than a few error lines in all.
 */
export function expectQuietOutage(pipeline: FaultPipeline, fromMs: number, toMs: number): void {
  const show = (lines: LogLine[]) => lines.map((line) => line.msg).join('\n');
  const unreachable = pipeline.logLines(ERROR, fromMs, toMs, UNREACHABLE_TEXT);
  expect(unreachable.length, `error lines about the outage:\n${show(unreachable)}`).toBeLessThanOrEqual(
    MAX_UNREACHABLE_ERRORS,
  );
  const errors = pipeline.logLines(ERROR, fromMs, toMs);
  expect(errors.length, `error lines during the outage:\n${show(errors)}`).toBeLessThanOrEqual(MAX_ERRORS);
  expect(pipeline.logLines(WARN, fromMs, toMs).length, 'warn lines during the outage').toBeGreaterThan(0);
}

/** Every reason a component gave, on one line each, for assertion messages. */
export function reasonsOf(watch: OutageWatch, component: string): string[] {
  return [...(watch.reasons.get(component) ?? [])];
}
