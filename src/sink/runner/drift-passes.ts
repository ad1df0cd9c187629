import type { Logger } from 'pino';
import { abortableSleep } from '../../core/abortable-sleep.js';

// The timed drift check: every node is re-applied once per interval to undo
// changes made by others. A pass is paced over its interval (nodes ÷ interval
// per second, in small ticks) instead of submitted at once: a burst of every
// node would queue them all in memory, compete with the changes flowing at
// that moment for the request slots, and show as a CPU spike every interval,
// while a paced pass costs the same in total and evenly. The first pass
// starts one interval after the sink runs; each pass starts when the
// previous one ends, so a pass that the apiserver cannot keep up with
// (`maxBusy`) just takes longer, and passes never overlap.

export interface DriftPassOptions {
  intervalMs: number;
  /** The node ids to check, read at the start of each pass (nodes added later wait for the next). */
  nodeIds: () => string[];
  /** Submits the node's re-apply; false when there is nothing to check (deleted, or busy with a record). */
  check: (nodeId: string) => boolean;
  /** Nodes with work in progress or waiting, across the sink. */
  busy: () => number;
  /** The pass waits while this many nodes are busy: the apiserver sets the pace, not the queue. */
  maxBusy: number;
  logger: Logger;
  signal: AbortSignal;
  /** The shortest pause between two ticks, ms (default 100): how finely a pass is spread. */
  tickMs?: number;
}

/** Runs passes until the signal aborts; resolves then. */
export async function runDriftPasses(options: DriftPassOptions): Promise<void> {
  const { intervalMs, signal, logger } = options;
  await abortableSleep(intervalMs, signal);
  while (!signal.aborted) {
    const startedAt = Date.now();
    const ids = options.nodeIds();
    logger.info({ nodes: ids.length, intervalSeconds: intervalMs / 1_000 }, 'drift pass started');
    const checked = await driftPass(ids, options);
    const seconds = (Date.now() - startedAt) / 1_000;
    if (!signal.aborted) logger.info({ nodes: ids.length, checked, seconds }, 'drift pass finished');
    // A pass of no nodes (or a quick one) waits out the rest of its interval.
    await abortableSleep(Math.max(0, startedAt + intervalMs - Date.now()), signal);
  }
}

/** One pass: node i is due at start + i × interval ÷ nodes; resolves with the nodes submitted. */
export async function driftPass(ids: readonly string[], options: DriftPassOptions): Promise<number> {
  const { intervalMs, signal } = options;
  const tickMs = Math.max(options.tickMs ?? 100, ids.length === 0 ? 0 : intervalMs / ids.length);
  const startedAt = Date.now();
  let next = 0;
  let checked = 0;
  while (next < ids.length && !signal.aborted) {
    if (options.busy() >= options.maxBusy) {
      await abortableSleep(tickMs, signal);
      continue;
    }
    const due = Math.min(ids.length, Math.ceil(((Date.now() - startedAt) / intervalMs) * ids.length) + 1);
    const room = options.maxBusy - options.busy();
    const until = Math.min(due, next + room);
    for (; next < until; next++) if (options.check(ids[next] as string)) checked++;
    if (next < ids.length) await abortableSleep(tickMs, signal);
  }
  return checked;
}
