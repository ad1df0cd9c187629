import { captureLeaseName, changeTopic } from '../src/contracts/index.js';
import { createKafka, type Kafka, readTopic } from '../src/kafka/index.js';
import { KubeClient } from '../src/sink/kube/index.js';
import { ownerSelector } from '../src/sink/ownership/index.js';
import { type AdminDatabase, dropReplicationSlot, openAdminDatabase, sourceKey } from './admin-database.js';
import { AuditFollower } from './audit-follower.js';
import type { AppliedVersion, CapturedChange } from './failover-figures.js';
import { readChangeTopic } from './kafka-capture.js';
import { ReplicaSet } from './replica-set.js';
import { stackEnv, uniqueName } from './stack-env.js';
import { SteadyWriter } from './steady-writer.js';

// One high-availability scenario on MariaDB or PostgreSQL, shared by the
// failover and split-brain tests and bench:failover: a hub table the steady
// writer keeps changing, a form of one ConfigMap per row (its data: the
// row's seq and the writer's clock), and `rowkube run` replicas with leader election, the
// Lease in the run's own namespace. What it reads back: the change topic
// (what capture wrote, with the producer's timestamps), the audit (what the
// sinks applied) and the cluster (what is there at the end).

/** The form, and its one resource: a ConfigMap named after the row, holding its seq and the writer's clock. */
export const HA_FORM = 'row';
export const HA_RESOURCE = 'state';

/** The databases the scenario runs on: a binlog reader, or a replication slot the new leader takes over. */
export type HaDatabase = 'mariadb' | 'postgres';

export interface HaRunOptions {
  /** The source's database (default mariadb). */
  database?: HaDatabase;
  /** Rows the writer changes in turn (default 50). */
  rows?: number;
  /** Kafka partitions of the topics rowkube creates (default 1). */
  partitions?: number;
  /** Leader election timings (default: the schema's). */
  leaderElection?: {
    leaseDurationSeconds?: number;
    renewDeadlineSeconds?: number;
    retryPeriodSeconds?: number;
  };
  /** Variables for the replicas, e.g. { LOG_LEVEL: 'info' }. */
  env?: NodeJS.ProcessEnv;
}

export interface ClusterCheck {
  /** Every row has its ConfigMap with the row's seq, and there is no other. */
  equal: boolean;
  rows: number;
  objects: number;
  /** Rows without a ConfigMap. */
  missing: string[];
  /** Rows whose ConfigMap holds another seq: "id: table seq ≠ cluster seq". */
  stale: string[];
  /** ConfigMaps of no row. */
  extra: string[];
}

export class HaRun {
  readonly prefix = uniqueName('rkha');
  /** Unique too: the capture's transactional id and the Lease are named after it. */
  readonly source = uniqueName('ha');
  readonly table = uniqueName('ha_rows');
  /** DNS-safe: the objects, and the Lease, live here. */
  readonly namespace = this.prefix.replaceAll('_', '-');
  readonly kube = KubeClient.fromKubeconfigFile(stackEnv().kubeconfig);
  readonly kafka: Kafka = createKafka({ brokers: stackEnv().kafkaBrokers, clientId: 'rowkube-ha-test' });
  readonly audit = new AuditFollower(this.kafka, this.prefix);
  writer!: SteadyWriter;
  replicas!: ReplicaSet;
  /** Send times (record timestamps) of the change topic's committed records, as they are read. */
  readonly sentAtMs: number[] = [];
  private db: AdminDatabase | undefined;
  private readonly stopFollowing = new AbortController();
  private following: Promise<void> | undefined;

  readonly database: HaDatabase;

  constructor(private readonly options: HaRunOptions = {}) {
    this.database = options.database ?? 'mariadb';
  }

  /** Creates the table with its rows and the namespace; the replicas are not started. */
  async setUp(): Promise<void> {
    const env = stackEnv();
    this.db = await openAdminDatabase(this.database);
    this.writer = new SteadyWriter(this.db, this.table, this.options.rows ?? 50);
    await this.writer.setUp();
    // PostgreSQL publishes a table only for its owner: the application creates the publication.
    if (this.database === 'postgres')
      await this.db.exec(`CREATE PUBLICATION ${this.prefix} FOR TABLE ${this.table}`);
    await this.kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } },
      { fieldManager: 'test-setup', force: true },
    );
    this.replicas = new ReplicaSet({
      config: this.config(this.db.captureUrl, env.kafkaBrokers, env.kubeconfig),
      name: 'replica',
      lease: { namespace: this.namespace, name: captureLeaseName(this.prefix, this.source) },
      kube: this.kube,
      env: this.options.env,
    });
  }

  /** The configuration every replica runs. */
  private config(captureUrl: string, brokers: string[], kubeconfig: string): Record<string, unknown> {
    return {
      kafka: { brokers, topicPrefix: this.prefix, partitions: this.options.partitions ?? 1 },
      kubernetes: { kubeconfig, allowedNamespaces: [this.namespace], driftIntervalSeconds: 0 },
      leaderElection: { enabled: true, namespace: this.namespace, ...this.options.leaderElection },
      sources: [
        {
          name: this.source,
          // On PostgreSQL the slot and publication are named after the run, so that clean-up finds them.
          [sourceKey(this.database)]:
            this.database === 'postgres'
              ? { url: captureUrl, slot: this.prefix, publication: this.prefix }
              : { url: captureUrl },
          tables: [this.table],
        },
      ],
      hubs: [
        {
          name: 'rows',
          source: this.source,
          table: this.table,
          uid: 'id',
          values: { seq: 'seq', writtenAt: 'written_at_ms' },
        },
      ],
      forms: [
        {
          name: HA_FORM,
          hub: 'rows',
          resources: [
            {
              id: HA_RESOURCE,
              manifest: {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                metadata: { name: '{{ uid }}', namespace: this.namespace },
                data: { seq: '{{ seq }}', writtenAt: '{{ writtenAt }}' },
              },
            },
          ],
        },
      ],
    };
  }

  /** The table's change topic (its name in Kafka). */
  get changeTopic(): string {
    return changeTopic(this.prefix, this.capturedTable);
  }

  /** The table as capture names it: MariaDB's database, or PostgreSQL's schema (public). */
  private get capturedTable(): { source: string; database: string; schema?: string; table: string } {
    return this.database === 'postgres'
      ? { source: this.source, database: '', schema: 'public', table: this.table }
      : { source: this.source, database: new URL(stackEnv().mysqlUrl).pathname.slice(1), table: this.table };
  }

  /**
   * Follows the change topic (read_committed, from its start) into sentAtMs;
   * the topic must exist: capture creates it when it starts.
   */
  followChanges(): void {
    this.following = readTopic({
      kafka: this.kafka,
      topic: this.changeTopic,
      fromBeginning: true,
      follow: true,
      signal: this.stopFollowing.signal,
      onRecord: (record) => void this.sentAtMs.push(Number(record.timestamp)),
    });
    this.following.catch(() => undefined);
  }

  /** Records sent after `ms` (ms since epoch) read so far. */
  sentAfter(ms: number): number[] {
    return this.sentAtMs.filter((t) => t > ms);
  }

  /** Every committed record of the table's change topic, as seq and send time. */
  async captured(): Promise<CapturedChange[]> {
    const records = await readChangeTopic(this.prefix, this.capturedTable, this.kafka);
    return records.flatMap((r) =>
      r.value?.after === null || r.value?.after === undefined
        ? []
        : [{ seq: Number(r.value.after.seq), timestampMs: r.timestampMs }],
    );
  }

  /** Whether each row's ConfigMap holds the row's seq as the table holds it now, and nothing else is there. */
  async checkCluster(): Promise<ClusterCheck> {
    const table = await this.writer.tableSeqs();
    const objects = (await this.kube.list('v1', 'ConfigMap', ownerSelector(this.prefix))).filter(
      (o) => o.metadata.namespace === this.namespace,
    );
    const inCluster = new Map(
      objects.map((o) => [
        String(o.metadata.name),
        Number((o.data as Record<string, string> | undefined)?.seq),
      ]),
    );
    const missing = [...table.keys()].filter((id) => !inCluster.has(id));
    const stale = [...table]
      .filter(([id, seq]) => inCluster.has(id) && inCluster.get(id) !== seq)
      .map(([id, seq]) => `${id}: table ${seq} ≠ cluster ${inCluster.get(id)}`);
    const extra = [...inCluster.keys()].filter((name) => !table.has(name));
    return {
      equal: missing.length === 0 && stale.length === 0 && extra.length === 0,
      rows: table.size,
      objects: inCluster.size,
      missing,
      stale,
      extra,
    };
  }

  /** The applied versions of the audit so far: events of objects in place, with the position they applied. */
  appliedVersions(): AppliedVersion[] {
    return this.audit.events.flatMap((e) =>
      ['created', 'configured', 'unchanged'].includes(e.action) &&
      e.object !== null &&
      e.provenance.position !== null
        ? [
            {
              object: `${e.object.kind}/${e.object.namespace ?? ''}/${e.object.name}`,
              position: e.provenance.position,
            },
          ]
        : [],
    );
  }

  /** Stops everything this run started and removes what it created. */
  async cleanUp(): Promise<void> {
    await this.replicas?.stop().catch(() => undefined);
    this.stopFollowing.abort();
    await this.following?.catch(() => undefined);
    await this.audit.close().catch(() => undefined);
    await this.db?.exec(`DROP TABLE IF EXISTS ${this.table}`).catch(() => undefined);
    if (this.database === 'postgres') {
      // Dropping the table leaves its publication behind, empty; the slot keeps WAL until it is dropped.
      await this.db?.exec(`DROP PUBLICATION IF EXISTS ${this.prefix}`).catch(() => undefined);
      await dropReplicationSlot(this.prefix).catch(() => undefined);
    }
    await this.db?.close().catch(() => undefined);
    await this.kube
      .delete({ apiVersion: 'v1', kind: 'Namespace', name: this.namespace }, { propagation: 'Background' })
      .catch(() => undefined);
    this.kube.close();
  }
}
