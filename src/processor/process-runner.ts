import type { Logger } from 'pino';
import type { NodeStatus, PipelineMetrics } from '../contracts/index.js';
import {
  auditTopic,
  controlTopic,
  desiredTopic,
  type InputTopic,
  inputTopics,
  processorGroupId,
  processorTransactionalId,
  schemasTopic,
} from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import { clusterNames } from '../core/config/cluster-references.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { LoopBudget } from '../core/loop-budget.js';
import {
  type Kafka,
  registryClientFor,
  runConsumerStage,
  SchemaPublisher,
  SchemaRegistry,
  type StageAttempt,
  type TransactionalHandler,
  TransactionalOutput,
  wireFormatFor,
} from '../kafka/index.js';
import { type DecodedChange, decodeChange } from './desired/change-input.js';
import { Materializer, type NodeUpdate } from './materializer/index.js';
import { FormRollouts } from './rollout/form-rollouts.js';
import { followRolloutStatus } from './rollout/rollout-status.js';
import { followControl, readControl } from './runner/control-follower.js';
import { DeletionHold, emptyOutput, type HoldOutput, merge } from './runner/deletion-hold.js';
import { DesiredOutput, type ProducedUpdate } from './runner/desired-output.js';
import { expiredUpdates, expiryAudits } from './runner/expiry-records.js';
import { ExpiryTimer } from './runner/expiry-timer.js';
import { type HubAssignment, rebuildHubRows } from './runner/hub-rebuild.js';
import { HubShare } from './runner/hub-share.js';
import { followLookups } from './runner/lookup-follower.js';
import { readProduced } from './runner/produced-hashes.js';
import { reconciledUpdates } from './runner/reconcile.js';

/**
 * How long the processor renders in one event-loop turn before the other
 * stages' I/O goes first, ms. Longer than the sink's bulk slice: an urgent
 * update can sit behind the batch being rendered, so the processor keeps the
 * larger share of the loop, while no turn holds capture for more than this.
 */
const RENDER_SLICE_MS = 50;

/** Broker-side limit on an open processor transaction (see where the producer opens). */
export const PROCESSOR_TRANSACTION_TIMEOUT_MS = 15_000;

// `rowkube process`: change topics → materializer → `<prefix>.desired`.
//
// Hub tables are partitioned across processor instances by a consumer group;
// each hub batch's desired records commit in one Kafka transaction with the
// group offsets after it (consume-transform-produce, exactly once). Lookup
// tables are followed whole by every instance (lookup-follower.ts).
//
// The state lives in memory. On every partition assignment the instance
// rebuilds the hub rows it now owns from the compacted change topics up to the
// committed offsets, reads what `<prefix>.desired` holds, renders every owned
// node and produces the difference (reconcile). That one step covers a form
// edited while the processor was down, lookup changes read but not yet
// produced when an instance died, and a share of the hubs handed over from
// another instance.
//
// Each instance has its own transactional id (prefix + instance name), so a
// restarted instance fences its own zombie. kafkajs has no KIP-447 group
// fencing: during a rebalance a zombie of another instance may still commit
// one batch, which can only duplicate records (the sink is idempotent), never
// lose them.

export interface RunProcessorOptions {
  config: RowkubeConfig;
  kafka: Kafka;
  logger: Logger;
  /** Stops the processor: the batch in progress is committed or aborted, then runProcessor resolves. */
  signal: AbortSignal;
  /** Names this instance among those sharing the hubs (`--instance`); stable across restarts. Default "0". */
  instance?: string;
  /** Called once the lookups are read and the hub consumer runs (tests). */
  onReady?: () => void;
  /** Pause before restarting after a retriable failure. Default 1,000 ms. */
  restartDelayMs?: number;
  /** Where the processor reports records committed, failures and readiness (component `processor`). */
  metrics?: PipelineMetrics;
}

/**
 * Runs until the signal aborts. A retriable failure (broker trouble, a
 * transaction that failed) drops the in-memory state and starts over from the
 * committed offsets; a non-retriable one (fenced by another instance, a bug)
 * rejects.
 */
export async function runProcessor(options: RunProcessorOptions): Promise<void> {
  const { config, kafka, signal, logger, metrics, restartDelayMs } = options;
  const prefix = config.kafka.topicPrefix;
  const instance = options.instance ?? '0';
  const inputs = inputTopics(prefix, config.hubs);
  if (inputs.length === 0) {
    logger.warn('no hubs are configured: nothing to process');
    metrics?.componentState('processor', true, 'no hubs are configured');
    await abortableSleep(Number.POSITIVE_INFINITY, signal);
    return;
  }
  const { replicationFactor, partitions } = config.kafka;
  await runConsumerStage({
    stage: 'processor',
    kafka,
    signal,
    logger,
    metrics,
    restartDelayMs,
    restarting: 'rebuilding from the committed offsets',
    topics: [
      { name: schemasTopic(prefix), kind: 'schemas', replicationFactor },
      { name: desiredTopic(prefix), kind: 'desired', partitions, replicationFactor },
      { name: controlTopic(prefix), kind: 'control', replicationFactor },
      { name: auditTopic(prefix), kind: 'audit', partitions, replicationFactor },
      ...inputs.map((input) => ({
        name: input.topic,
        kind: 'change' as const,
        partitions,
        replicationFactor,
      })),
    ],
    fencedMessage: `another processor took over the transactional id ${processorTransactionalId(prefix, instance)}; give each instance its own --instance name`,
    open: (attempt) => openProcessor(options, inputs, attempt),
  });
}

/** One attempt's state: producer, lookups, materializer; and the hub consumer's handler around them. */
async function openProcessor(
  options: RunProcessorOptions,
  inputs: readonly InputTopic[],
  attempt: StageAttempt,
): Promise<TransactionalHandler | undefined> {
  const { config, kafka, logger } = options;
  const { signal } = attempt;
  const prefix = config.kafka.topicPrefix;
  const instance = options.instance ?? '0';
  const groupId = processorGroupId(prefix);
  const outputTopic = desiredTopic(prefix);
  const hubInputs = inputs.filter((input) => input.hub);
  const byTopic = new Map(hubInputs.map((input) => [input.topic, input]));

  // The producer first: taking over the transactional id aborts what an
  // earlier run of this instance left open, so what is read next is final.
  // An instance that dies for good (a pod replaced under a new name) leaves
  // its open transaction to the broker, and until the broker aborts it every
  // read_committed reader of the desired topic waits: the timeout bounds that
  // stall. A transaction opens only once its records are rendered and lasts
  // as long as their sends, a second or two for megabytes.
  const registryClient = registryClientFor(config.schemaRegistry);
  attempt.onClose(async () => registryClient?.close());
  const transactional = await TransactionalOutput.open(kafka, {
    transactionalId: processorTransactionalId(prefix, instance),
    transactionTimeoutMs: PROCESSOR_TRANSACTION_TIMEOUT_MS,
    wire: wireFormatFor(prefix, registryClient),
  });
  attempt.onClose(() => transactional.close());
  const registry = await SchemaRegistry.open({ kafka, prefix, registry: registryClient });
  const materializer = new Materializer({
    hubs: config.hubs,
    forms: config.forms,
    clusters: clusterNames(config.kubernetes),
  });
  const output = new DesiredOutput(
    transactional,
    new SchemaPublisher(schemasTopic(prefix)),
    outputTopic,
    config.forms,
  );
  // Progressive rollouts (docs/rollout.md): which definition each node
  // renders with, and admission on the sink's status reports.
  const statusOf: { get: (id: string) => NodeStatus | undefined } = { get: () => undefined };
  const rollouts = new FormRollouts({
    config,
    materializer,
    logger,
    metrics: options.metrics,
    controlTopic: controlTopic(prefix),
    auditTopic: auditTopic(prefix),
    statusOf: (id) => statusOf.get(id),
  });
  materializer.setFormResolver(rollouts.formFor);
  // Expiring rows (hubs[].expireAt): one timer for the earliest expiry of
  // the nodes held; when it fires, the due nodes render absent and go
  // through the guard like a deactivation.
  const expiryTimer = new ExpiryTimer(
    () => materializer.nextExpiry(),
    () => {
      attempt
        .serially(async () => {
          attempt.check();
          const produced = expiredUpdates(config, materializer.expire(), Date.now());
          await commitHold(hold.screen(produced, { topic: '', partition: -1 }));
          expiryTimer.arm();
        })
        .catch((error) => attempt.crash(error));
    },
  );
  attempt.onClose(async () => expiryTimer.stop());
  const desired = {
    commit: async (...args: Parameters<DesiredOutput['commit']>) => {
      const [produced, offsets, extra] = args;
      // Every path that removes a node may remove an expired one (a batch, a take-over, the timer).
      const audits = expiryAudits(config, materializer, produced, {
        auditTopic: auditTopic(prefix),
        nowMs: Date.now(),
      });
      const records = await output.commit(
        produced,
        offsets,
        audits.records.length === 0
          ? extra
          : {
              records: [...(extra?.records ?? []), ...audits.records],
              schemas: [...(extra?.schemas ?? []), ...audits.schemas],
            },
      );
      rollouts.noteProduced(produced);
      options.metrics?.desiredCommitted(produced.map((item) => item.update.result));
      // The rows may have moved the earliest expiry (or a take-over rebuilt them all).
      expiryTimer.arm();
      return records;
    },
  };
  // The mass-deletion guard (docs/processor.md): held removals and releases
  // go through `<prefix>._control`, in the same transactions as the batches.
  const hold = new DeletionHold({
    config,
    materializer,
    logger,
    metrics: options.metrics,
    controlTopic: controlTopic(prefix),
    auditTopic: auditTopic(prefix),
  });
  const commitHold = async (step: HoldOutput | undefined): Promise<void> => {
    if (step === undefined || (step.produced.length === 0 && step.records.length === 0)) return;
    await desired.commit(step.produced, undefined, step);
    if (step.records.length > 0) hold.report();
  };
  const control = followControl({
    kafka,
    topic: controlTopic(prefix),
    signal,
    onEntry: (entry) =>
      attempt.serially(async () => {
        attempt.check();
        await commitHold(merge(hold.onControl(entry) ?? emptyOutput(), rollouts.onControl(entry)));
      }),
  });
  control.catch((error) => attempt.crash(error));

  const produce = (decoded: DecodedChange, updates: NodeUpdate[]): ProducedUpdate[] =>
    updates.map((update) => ({ update, provenance: decoded.provenance }));

  const lookups = followLookups({
    kafka,
    inputs: inputs.filter((input) => input.lookup),
    resolver: registry,
    signal,
    onChange: (decoded, record) =>
      attempt.serially(async () => {
        attempt.check();
        const updates = materializer.apply(decoded.change, 'lookup');
        // A lookup change can remove nodes too (a filter over lookup values):
        // screened like a batch; every instance follows lookups whole (-1).
        const where = { topic: record.topic, partition: -1 };
        await commitHold(merge(hold.screen(produce(decoded, updates), where), hold.cancelRestored()));
      }),
  });
  await Promise.race([lookups.caughtUp, lookups.done]);
  if (signal.aborted) return undefined;
  logger.info({ topics: inputs.filter((i) => i.lookup).map((i) => i.topic) }, 'lookups read');
  lookups.done.catch((error) => attempt.crash(error));

  const share = new HubShare();
  // A batch (a bulk transaction: thousands of rows) is rendered in slices, so
  // that capture and the sink in the same process are not held for seconds.
  const budget = new LoopBudget(RENDER_SLICE_MS);
  const takeOver = async (assignment: HubAssignment): Promise<void> => {
    const started = Date.now();
    options.metrics?.componentState('processor', false, 'taking over hub partitions');
    materializer.resetHubs();
    const limits = await attempt.admin.committedOffsets(
      groupId,
      hubInputs.map((input) => input.topic),
    );
    share.reset(assignment, limits);
    const rebuilt = await rebuildHubRows({
      kafka,
      inputs: hubInputs,
      assignment,
      limits,
      resolver: registry,
      materializer,
      signal,
    });
    const { hashes: produced, versions } = await readProduced(kafka, outputTopic, registry, signal);
    materializer.seedProduced(produced);
    const controlEntries = await readControl(kafka, controlTopic(prefix), signal);
    // Before the reconcile: it renders each node with the version its rollout gives it.
    const rolloutStart = rollouts.restore(controlEntries, versions);
    // Held removals survive the restart: read back from the control topic,
    // and a reconcile that would remove many nodes is screened like a batch.
    const restored = hold.restore(controlEntries, (topic, partition) => share.owns(topic, partition));
    const reconciled = reconciledUpdates(config, materializer, produced);
    const step = merge(merge(hold.screen(reconciled, { topic: '', partition: -1 }), restored), rolloutStart);
    await desired.commit(step.produced, undefined, step);
    logger.info(
      {
        assignment: Object.fromEntries(assignment),
        rebuilt,
        reconciled: reconciled.length,
        ms: Date.now() - started,
      },
      'hub partitions taken over',
    );
    options.metrics?.componentState('processor', true);
    hold.report();
    rolloutStatus.start();
  };
  const rolloutStatus = followRolloutStatus({
    config,
    kafka,
    registry: registryClient,
    logger,
    signal,
    attempt,
    onView: (view) => {
      statusOf.get = (id) => view.get(id);
    },
    step: async () => {
      attempt.check();
      await commitHold(rollouts.step());
    },
  });

  return {
    commits: 'transactional',
    group: {
      groupId,
      topics: hubInputs.map((input) => input.topic),
      // A crashed instance's partitions move on after 10 s, not 30 s, like
      // the sink's; kafkajs heartbeats every 3 s, also during a take-over.
      sessionTimeoutMs: 10_000,
    },
    onAssignment: takeOver,
    onBatch: async (batch, offsets) => {
      const input = byTopic.get(batch.topic);
      if (input === undefined) return false;
      if (!share.owns(batch.topic, batch.partition)) return false;
      const rebuiltUpTo = share.upTo(batch.topic, batch.partition);
      const produced: ProducedUpdate[] = [];
      let changes = 0;
      for (const record of batch.records) {
        // Already part of the rebuilt state (a fetch from before the take-over).
        if (record.offset < rebuiltUpTo) continue;
        const turn = budget.turn();
        if (turn !== undefined) {
          await turn;
          // Another part of the attempt may have failed meanwhile: stop rather than commit.
          attempt.check();
        }
        const decoded = await decodeChange(input, record, registry);
        produced.push(...produce(decoded, materializer.apply(decoded.change, 'hub')));
        changes += 1;
      }
      const step = merge(hold.screen(produced, batch), hold.cancelRestored());
      await desired.commit(step.produced, offsets, step);
      if (step.records.length > 0) hold.report();
      share.advance(batch.topic, batch.partition, offsets.next);
      if (produced.length > 0)
        logger.debug({ topic: batch.topic, changes, desired: produced.length }, 'batch committed');
      return true;
    },
    onRunning: () => {
      options.onReady?.();
      logger.info({ groupId, instance, output: outputTopic }, 'processor running');
    },
  };
}
