import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeLeaseStore, LeaseElector, type LeaseStore, type TermEnd } from '../../src/cluster/index.js';
import { captureTransactionalId, type PipelineMetrics } from '../../src/contracts/index.js';
import { createKafka } from '../../src/kafka/index.js';
import { openTransactionalProducer } from '../../src/kafka/transactional-producer.js';
import { KubeClient } from '../../src/sink/kube/index.js';
import { type AdminDatabase, openAdminDatabase } from '../../support/admin-database.js';
import { configFrom } from '../../support/config-file.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { type StageRun, startStages } from '../../support/stage-run.js';
import { waitFor } from '../../support/wait-for.js';

// Leader election of capture against the real API server: Leases written
// with optimistic concurrency, handed over on release and on expiry; then two
// `rowkube run` replicas (assembled in this process, as the CLI assembles
// them) sharing one MariaDB source, of which only the Lease holder captures,
// while the rows still reach the cluster — and keep reaching it after the
// leader stops.
const env = stackEnv();
// The electors' own warnings (renewals that fail on purpose) are expected here.
const logger = pino({ level: process.env.LOG_LEVEL ?? 'error' });
const fast = { leaseDurationSeconds: 2, renewDeadlineSeconds: 1.5, retryPeriodSeconds: 0.25 };

interface Candidate {
  elector: LeaseElector;
  stop: AbortController;
  running: Promise<void>;
  /** Monotonic ms of each term's start and end. */
  terms: { startedMs: number; endedMs?: number }[];
}

function campaign(store: LeaseStore, identity: string, lease: string): Candidate {
  const stop = new AbortController();
  const terms: Candidate['terms'] = [];
  const elector = new LeaseElector({ store, identity, timing: fast, logger, lease: `default/${lease}` });
  const running = elector.run(stop.signal, async (term): Promise<TermEnd> => {
    const current = { startedMs: performance.now() } as { startedMs: number; endedMs?: number };
    terms.push(current);
    await new Promise<void>((resolve) => {
      if (term.aborted) resolve();
      else term.addEventListener('abort', () => resolve(), { once: true });
    });
    current.endedMs = performance.now();
    return 'stopped';
  });
  return { elector, stop, running, terms };
}

describe('cluster > leader election on the API server', () => {
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  const name = uniqueName('rk-lease').replaceAll('_', '-');
  const candidates: Candidate[] = [];

  afterAll(async () => {
    for (const c of candidates) c.stop.abort();
    await Promise.allSettled(candidates.map((c) => c.running));
    await kube.delete(
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'default', name },
      { propagation: 'Background' },
    );
    kube.close();
  });

  const lease = async () =>
    (await kube.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'default', name }))
      ?.spec as { holderIdentity?: string; leaseTransitions?: number } | undefined;

  it('one of two candidates leads, the other stands by; releasing hands over at once', async () => {
    const a = campaign(new KubeLeaseStore(kube, 'default', name), 'a', name);
    candidates.push(a);
    await waitFor('a to lead', () => (a.elector.isLeader() ? true : undefined), { timeoutMs: 10_000 });
    const b = campaign(new KubeLeaseStore(kube, 'default', name), 'b', name);
    candidates.push(b);
    await waitFor('b to see a holding the Lease', () => (b.elector.holder === 'a' ? true : undefined));
    expect(b.elector.isLeader()).toBe(false);
    expect(await lease()).toMatchObject({ holderIdentity: 'a', leaseTransitions: 0 });

    const releasedAt = performance.now();
    a.stop.abort();
    await a.running;
    await waitFor('b to lead', () => (b.elector.isLeader() ? true : undefined), { timeoutMs: 10_000 });
    // Released, not expired: b takes over within about one retry period, not a lease duration.
    expect(performance.now() - releasedAt).toBeLessThan(fast.leaseDurationSeconds * 1000);
    expect(await lease()).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a leader that cannot renew stops before its Lease expires; a candidate takes over after expiry', async () => {
    const b = candidates[1] as Candidate;
    const c = campaign(new KubeLeaseStore(kube, 'default', name), 'c', name);
    candidates.push(c);
    await waitFor('c to see b holding the Lease', () => (c.elector.holder === 'b' ? true : undefined));
    // b's renewals stop reaching the API server (as if its network were cut).
    const store = new KubeLeaseStore(kube, 'default', name);
    const cut = Object.assign(Object.create(store) as LeaseStore, {
      get: async () => {
        throw new Error('connection refused');
      },
    });
    (b.elector as unknown as { options: { store: LeaseStore } }).options.store = cut;
    const cutAt = performance.now();
    await waitFor('c to lead', () => (c.elector.isLeader() ? true : undefined), { timeoutMs: 15_000 });
    const takeoverMs = (c.terms[0] as { startedMs: number }).startedMs - cutAt;
    const bEndedMs = (b.terms[0] as { endedMs?: number }).endedMs ?? Number.POSITIVE_INFINITY;
    // b stopped leading before c started: never two leaders at once.
    expect(bEndedMs).toBeLessThan((c.terms[0] as { startedMs: number }).startedMs);
    expect(bEndedMs - cutAt).toBeLessThan(fast.leaseDurationSeconds * 1000);
    expect(takeoverMs).toBeGreaterThanOrEqual(fast.leaseDurationSeconds * 1000 - 500);
    expect(await lease()).toMatchObject({ holderIdentity: 'c', leaseTransitions: 2 });
  });
});

/** What a replica's pipeline reported about leadership and readiness of capture. */
class LeadershipRecorder implements PipelineMetrics {
  leading = false;
  readiness = '';
  /** Every change of leadership, in order. */
  readonly history: boolean[] = [];
  captureLeader(_source: string, leading: boolean): void {
    if (leading !== this.leading) this.history.push(leading);
    this.leading = leading;
  }
  componentState(component: string, ready: boolean, reason?: string): void {
    if (component.startsWith('capture/'))
      this.readiness = `${ready ? 'ready' : 'not ready'}: ${reason ?? ''}`;
  }
  changesCaptured(): void {}
  desiredCommitted(): void {}
  sinkAudited(): void {}
  stageFailed(): void {}
}

describe('rowkube run > two replicas with leader election on mariadb', () => {
  const table = uniqueName('tenants');
  const prefix = uniqueName('rk');
  const base = uniqueName('ha').replaceAll('_', '-');
  const kube = KubeClient.fromKubeconfigFile(env.kubeconfig);
  let db: AdminDatabase;
  const replicas: { name: string; run: StageRun; metrics: LeadershipRecorder }[] = [];

  beforeAll(async () => {
    db = await openAdminDatabase('mariadb');
    await db.exec(`CREATE TABLE ${table} (tenant_id VARCHAR(63) PRIMARY KEY, plan VARCHAR(20))`);
    const config = configFrom(
      `kafka: { brokers: [${env.kafkaBrokers.join(', ')}], topicPrefix: ${prefix} }
kubernetes: { kubeconfig: ${env.kubeconfig}, allowedNamespaces: ["${base}"] }
leaderElection: { enabled: true, namespace: default, leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 }
sources:
  - name: appdb
    mysql: { url: "${db.captureUrl}" }
    tables: [${table}]
hubs:
  - { name: tenants, source: appdb, table: ${table}, uid: tenant_id, values: { plan: plan } }
forms:
  - name: web
    hub: tenants
    resources:
      - id: config
        manifest:
          apiVersion: v1
          kind: ConfigMap
          metadata: { name: "{{ uid }}", namespace: "${base}" }
          data: { plan: "{{ plan }}" }
`,
    );
    await kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: base } },
      { fieldManager: 'test-setup', force: true },
    );
    for (const name of ['one', 'two']) {
      const metrics = new LeadershipRecorder();
      const run = startStages(config, ['capture', 'process', 'apply'], { instance: name, metrics });
      replicas.push({ name, run, metrics });
    }
  });

  afterAll(async () => {
    await Promise.allSettled(replicas.map((r) => r.run.stop()));
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: base }, { propagation: 'Background' });
    await kube.delete(
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: 'default',
        name: `rowkube-capture-${prefix.toLowerCase().replaceAll('_', '-')}-appdb`,
      },
      { propagation: 'Background' },
    );
    kube.close();
    await db?.exec(`DROP TABLE IF EXISTS ${table}`);
    await db?.close();
  });

  const died = () => Promise.race(replicas.map((r) => r.run.died));
  const configMap = (uid: string) =>
    kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: base, name: uid });
  const delivered = (uid: string) =>
    waitFor(
      `ConfigMap ${uid}`,
      async () => ((await configMap(uid))?.data as { plan?: string } | undefined)?.plan,
      { timeoutMs: 45_000, intervalMs: 200, abandon: died() },
    );

  it('only the Lease holder captures, the other stands by ready, and rows reach the cluster', async () => {
    const leader = await waitFor(
      'one replica to lead',
      () => replicas.find((r) => r.metrics.readiness === 'ready: ' && r.metrics.leading),
      { timeoutMs: 45_000, abandon: died() },
    );
    const standby = replicas.find((r) => r !== leader) as (typeof replicas)[number];
    expect(standby.metrics.leading).toBe(false);
    // The standby names the holder once its next try (within a retry period) has read the Lease.
    await waitFor('the standby to name the leader', () =>
      standby.metrics.readiness === `ready: standing by (leader: ${leader.name})` ? true : undefined,
    );
    expect(standby.metrics.leading).toBe(false);
    await db.exec(`INSERT INTO ${table} VALUES ('acme', 'basic')`);
    expect(await delivered('acme')).toBe('basic');
  });

  it('the standby takes over when the leader stops, and capture goes on from where it was', async () => {
    const leader = replicas.find((r) => r.metrics.leading) as (typeof replicas)[number];
    const standby = replicas.find((r) => r !== leader) as (typeof replicas)[number];
    await leader.run.stop();
    replicas.splice(replicas.indexOf(leader), 1);
    await waitFor('the standby to lead', () => (standby.metrics.leading ? true : undefined), {
      timeoutMs: 15_000,
      abandon: died(),
    });
    await db.exec(`INSERT INTO ${table} VALUES ('globex', 'gold')`);
    await db.exec(`UPDATE ${table} SET plan = 'gold' WHERE tenant_id = 'acme'`);
    expect(await delivered('globex')).toBe('gold');
    await waitFor('acme updated', async () =>
      ((await configMap('acme'))?.data as { plan?: string } | undefined)?.plan === 'gold' ? true : undefined,
    );
  });

  it('a leader fenced by the broker steps down instead of failing, takes its Lease again and resumes', async () => {
    const [replica] = replicas as [(typeof replicas)[number]];
    expect(replica.metrics.leading).toBe(true);
    const changes = replica.metrics.history.length;
    // What `rowkube snapshot --source` does to a running capture: another
    // producer initialises the source's transactional id.
    const producer = await openTransactionalProducer(createKafka({ brokers: env.kafkaBrokers, logger }), {
      transactionalId: captureTransactionalId(prefix, 'appdb'),
      transactionTimeoutMs: 60_000,
    });
    await producer.disconnect();
    await db.exec(`INSERT INTO ${table} VALUES ('initech', 'basic')`);
    expect(await delivered('initech')).toBe('basic');
    // It stepped down (fenced at its next write) and led again: not a source that stopped for good.
    expect(replica.metrics.history.slice(changes)).toEqual([false, true]);
    expect(replica.metrics.leading).toBe(true);
  });
});
