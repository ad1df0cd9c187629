import { processorGroupId, sinkGroupId } from '../../src/contracts/index.js';
import type { Kafka } from '../../src/kafka/index.js';
import type { KubeApi } from '../../src/sink/kube/index.js';
import { deleteConsumerGroups, deleteTopicsWithPrefix } from '../../support/kafka-cleanup.js';
import { type Replica, ReplicaSet } from '../../support/replica-set.js';
import { uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';
import { e2eConfigDocument } from './bench-config.js';
import { type E2eDatabase, openE2eDatabase } from './e2e-database.js';
import { createNamespaces, deleteNamespaces } from './sink-namespaces.js';

// One `rowkube run` process of the e2e bench's form (support/bench-config.ts:
// a ConfigMap, a Secret and a Service per tenant) on a table, topic prefix
// and namespace of its own, as bench:scale and bench:idle run it: a real
// child process (support/replica-set.ts), so that its memory and CPU in /proc
// are its own, started again after a stop to time the way back to ready.
// cleanUp() removes what the run made: table, topics, groups, namespace.

/** The form's objects per tenant, as the core collections a namespace count asks for. */
export const FORM_RESOURCES = ['configmaps', 'secrets', 'services'] as const;

export interface SingleRunOptions {
  /** Names the prefix, table and namespace (made unique per run). */
  name: string;
  kafka: Kafka;
  kube: KubeApi;
  kafkaBrokers: string[];
  kubeconfig: string;
  mysqlUrl: string;
  concurrency: number;
  /** Variables for the process on top of this one's (e.g. heap-snapshot-env.ts's). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Rejects with the child's last output once it exits: raced against a
 * phase's wait, so a crashed process ends the phase at once instead of
 * timing out. Never unhandled when nothing races it.
 */
export function exitAsFailure(process: Replica['process']): Promise<never> {
  const exited = process.exited().then((code): never => {
    throw new Error(`rowkube run exited with ${code}:\n${process.lastOutput(20)}`);
  });
  exited.catch(() => undefined);
  return exited;
}

export class SingleRun {
  readonly prefix: string;
  readonly namespace: string;
  readonly table: string;
  /** Every process started, for the output of a failed run. */
  private readonly sets: ReplicaSet[] = [];
  private current: Replica | undefined;
  private database: E2eDatabase | undefined;

  constructor(private readonly options: SingleRunOptions) {
    this.prefix = uniqueName(options.name);
    this.namespace = this.prefix.replaceAll('_', '-');
    this.table = `${this.prefix}_tenants`;
  }

  /** The table (empty) and the namespace. */
  async setUp(): Promise<E2eDatabase> {
    this.database = await openE2eDatabase(this.table);
    await this.database.setUp();
    await createNamespaces(this.options.kube, [this.namespace]);
    return this.database;
  }

  /** The running process. */
  get replica(): Replica {
    if (this.current === undefined) throw new Error('rowkube run is not started');
    return this.current;
  }

  /**
   * Starts `rowkube run` with the drift pass every driftIntervalSeconds (0: off)
   * and waits for /readyz; resolves with the seconds from spawn to ready.
   * `forms`: the run's forms instead of the e2e form (bench:rollout's
   * Deployment per tenant), e.g. a changed form for the run after a stop.
   */
  async start(
    driftIntervalSeconds: number,
    { timeoutMs = 600_000, forms }: { timeoutMs?: number; forms?: readonly object[] } = {},
  ): Promise<number> {
    const document = e2eConfigDocument({
      prefix: this.prefix,
      kafkaBrokers: this.options.kafkaBrokers,
      kubeconfig: this.options.kubeconfig,
      mysqlUrl: this.options.mysqlUrl,
      source: this.prefix,
      table: this.table,
      namespace: this.namespace,
      concurrency: this.options.concurrency,
    });
    const set = new ReplicaSet({
      config: {
        ...document,
        kubernetes: { ...document.kubernetes, driftIntervalSeconds },
        ...(forms === undefined ? {} : { forms }),
      },
      name: `${this.options.name}${this.sets.length}`,
      lease: { namespace: this.namespace, name: 'unused' },
      kube: this.options.kube,
      env: this.options.env,
    });
    this.sets.push(set);
    const startedAt = Date.now();
    await set.start(1);
    const replica = set.replicas[0] as Replica;
    this.current = replica;
    const exited = exitAsFailure(replica.process);
    await waitFor(
      'rowkube run ready (/readyz)',
      async () => ((await replica.readyz())?.status === 200 ? true : undefined),
      {
        timeoutMs,
        intervalMs: 100,
        abandon: exited,
      },
    );
    return (Date.now() - startedAt) / 1000;
  }

  /** SIGTERM, and waits for the exit. */
  async stop(): Promise<void> {
    await this.current?.process.stop(120_000);
    this.current = undefined;
  }

  /** The last lines of every process started, for a failure's message. */
  describe(): string {
    return this.sets.map((s) => s.describe(15)).join('\n');
  }

  /** Best effort, each part on its own: whatever is left has a name unique to this run. */
  async cleanUp(): Promise<void> {
    await Promise.allSettled(this.sets.map((s) => s.stop()));
    await this.database?.cleanUp().catch(() => undefined);
    await deleteTopicsWithPrefix(this.options.kafka, this.prefix);
    await deleteConsumerGroups(this.options.kafka, [processorGroupId(this.prefix), sinkGroupId(this.prefix)]);
    await deleteNamespaces(this.options.kube, [this.namespace]);
  }
}
