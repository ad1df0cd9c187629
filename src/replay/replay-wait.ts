import type { Logger } from 'pino';
import type { AuditEvent, DesiredValue } from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import { isFinal, type ResourceManager } from '../sink/index.js';
import { inPool } from './in-pool.js';
import { type ReadyReport, ReadyTally } from './ready-tally.js';

// `replay --wait`: once every node is applied, wait until the objects of
// every replayed node are ready, by the sink's readiness rules, as `kubectl
// apply --wait` or `flux reconcile --wait` do. One deadline for the whole
// wait, so it ends within --wait-timeout however many nodes there are; each
// node's objects are looked at together through the resource manager's wait
// verb, the same loop the sink uses for waitForReady.

export interface ReplayWaitOptions {
  resources: ResourceManager;
  /** The replayed live nodes. */
  nodes: readonly DesiredValue[];
  timeoutMs: number;
  signal: AbortSignal;
  logger: Logger;
  /** Backoff between looks when the API server cannot be reached (kubernetes.retry). */
  retry: { initialSeconds: number; maxSeconds: number };
  /** Nodes looked at at once. */
  nodesInFlight: number;
  /** The not-ready events go to the audit topic, as the apply's do. */
  publish: (events: readonly AuditEvent[]) => Promise<void>;
  onProgress?: (line: string) => void;
  progressIntervalMs: number;
}

export async function waitForReplayed(options: ReplayWaitOptions): Promise<ReadyReport> {
  const { resources, signal, logger, retry } = options;
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const tally = new ReadyTally(options.nodes.length);

  const handle = async (node: DesiredValue): Promise<void> => {
    let pauseMs = retry.initialSeconds * 1_000;
    for (;;) {
      const changes = await resources.wait(node, { timeoutMs: Math.max(deadline - Date.now(), 0), signal });
      if (changes.failure === undefined) {
        await options.publish(changes.events);
        tally.nodeDone(node, changes.events);
        return;
      }
      const message = changes.failure instanceof Error ? changes.failure.message : String(changes.failure);
      // Looking again makes sense only when the server may answer before the deadline.
      const giveUp = signal.aborted || isFinal(changes.failure) || Date.now() + pauseMs >= deadline;
      if (giveUp) {
        const why = signal.aborted
          ? 'stopped before it was known to be ready'
          : `could not be looked at: ${message}`;
        const failed = resources.failed(node.id, node, {
          reason: `not known to be ready: ${message}`,
          errorCode: (changes.failure as { code?: string }).code ?? null,
        });
        await options.publish([...changes.events, ...failed.events]);
        tally.nodeDone(node, changes.events, why);
        return;
      }
      logger.warn({ node: node.id, err: changes.failure, retryInMs: pauseMs }, 'wait failed; looking again');
      await abortableSleep(pauseMs, signal);
      pauseMs = Math.min(pauseMs * 2, retry.maxSeconds * 1_000);
    }
  };

  const progress = setInterval(
    () => options.onProgress?.(tally.progressLine(Date.now() - started)),
    options.progressIntervalMs,
  );
  try {
    await inPool(options.nodes, options.nodesInFlight, signal, handle);
  } finally {
    clearInterval(progress);
  }
  options.onProgress?.(tally.progressLine(Date.now() - started));
  return {
    timeoutMs: options.timeoutMs,
    nodes: options.nodes.length,
    readyObjects: tally.readyObjects,
    notReady: tally.notReady,
    stopped: tally.nodesDone < options.nodes.length || signal.aborted,
    durationMs: Date.now() - started,
  };
}
