import { auditTopic, captureLeaseName, processorGroupId, sinkGroupId } from '../../src/contracts/index.js';
import type { Kafka } from '../../src/kafka/index.js';
import type { KubeApi } from '../../src/sink/kube/index.js';
import { AuditFollower } from '../../support/audit-follower.js';
import { deleteTopicsWithPrefix } from '../../support/kafka-cleanup.js';
import { ReplicaSet } from '../../support/replica-set.js';
import { uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';
import { e2eConfigDocument, OBJECTS_PER_TENANT } from './bench-config.js';
import { type BulkFigures, runBulk } from './e2e-bulk.js';
import { type E2eDatabase, openE2eDatabase } from './e2e-database.js';
import { createNamespaces } from './sink-namespaces.js';

// One phase of bench:scale-out: a fresh table, topic prefix and namespace,
// `replicas` rowkube run processes with leader election (one captures, all
// process and apply in the consumer groups), and the e2e bench's bulk of
// tenants (support/e2e-bulk.ts): first COMMIT → the last object in place.
// The bulk starts only once every replica is a member of both consumer
// groups, so that no rebalance lands inside the figure.

/** The warm-up tenant, provisioned before the bulk so that start-up stays out of the figure. */
const WARM_UP_TENANT = 0;
/** No audit event for this long means the pipeline is stuck, not slow. */
const STALL_MS = 60_000;

export interface ScaleOutPhaseOptions {
  replicas: number;
  tenants: number;
  concurrency: number;
  partitions: number;
  kafka: Kafka;
  kube: KubeApi;
  kafkaBrokers: string[];
  kubeconfig: string;
  mysqlUrl: string;
  say: (line: string) => void;
}

export interface ScaleOutPhase {
  /** What stays until the end of the run (deleting it now would load the apiserver during the next phase). */
  namespace: string;
  bulk: BulkFigures;
}

export async function runScaleOutPhase(options: ScaleOutPhaseOptions): Promise<ScaleOutPhase> {
  const { kafka, kube, say } = options;
  const prefix = uniqueName(`rkscale${options.replicas}`);
  const namespace = prefix.replaceAll('_', '-');
  const table = `${prefix}_tenants`;
  const document = e2eConfigDocument({
    prefix,
    kafkaBrokers: options.kafkaBrokers,
    kubeconfig: options.kubeconfig,
    mysqlUrl: options.mysqlUrl,
    source: prefix,
    table,
    namespace,
    concurrency: options.concurrency,
  });
  const config = {
    ...document,
    kafka: { ...document.kafka, partitions: options.partitions },
    leaderElection: { enabled: true, namespace },
  };
  const replicas = new ReplicaSet({
    config,
    name: `scale${options.replicas}`,
    lease: { namespace, name: captureLeaseName(prefix, prefix) },
    kube,
  });
  const audit = new AuditFollower(kafka, prefix);
  let db: E2eDatabase | undefined;
  try {
    db = await openE2eDatabase(table);
    await db.setUp();
    await createNamespaces(kube, [namespace]);
    await replicas.start(options.replicas);
    const died = Promise.race(
      replicas.started.map((r) =>
        r.process.exited().then((code) => {
          throw new Error(`${r.instance} exited with ${code}:\n${r.process.lastOutput(20)}`);
        }),
      ),
    );
    died.catch(() => undefined);
    await auditReadable(kafka, prefix, died);
    await audit.follow();
    await db.insertTenants(WARM_UP_TENANT, 1, 1);
    await audit.waitFor('the warm-up tenant', () => audit.objectsInPlace >= OBJECTS_PER_TENANT, {
      stallMs: STALL_MS,
      abandon: died,
    });
    await groupsStable(kafka, prefix, options.replicas);
    const bulk = await runBulk({
      database: db,
      audit,
      tenants: options.tenants,
      objectsBefore: OBJECTS_PER_TENANT,
      stallMs: STALL_MS,
      pipelineFailed: died,
      say,
      cpuOf: {
        'rowkube replicas': replicas.replicas.flatMap((r) =>
          r.process.pid === undefined ? [] : [r.process.pid],
        ),
      },
    });
    return { namespace, bulk };
  } finally {
    await replicas.stop().catch((error: unknown) => say(`stopping the replicas: ${String(error)}`));
    await audit.close().catch(() => undefined);
    await db?.cleanUp().catch(() => undefined);
    await deleteTopicsWithPrefix(kafka, prefix);
  }
}

/** Waits until the processors' and the sinks' groups are Stable with one member per replica. */
async function groupsStable(kafka: Kafka, prefix: string, members: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      `${members} members in each consumer group of ${prefix}`,
      async () => {
        const { groups } = await admin.describeGroups([processorGroupId(prefix), sinkGroupId(prefix)]);
        return groups.every((g) => g.state === 'Stable' && g.members.length === members) ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Waits until the audit topic exists and its partitions answer: the replicas
 * create it as they start, and for a moment after creation its partitions
 * have no leader yet ("not the leader for that topic-partition").
 */
async function auditReadable(kafka: Kafka, prefix: string, died: Promise<unknown>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      `the audit topic of ${prefix} to be readable`,
      async () => {
        await admin.fetchTopicOffsets(auditTopic(prefix));
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 250, abandon: died },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
