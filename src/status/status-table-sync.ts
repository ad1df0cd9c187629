import type { Logger } from 'pino';
import type { NodeStatus } from '../contracts/index.js';
import { abortableSleep } from '../core/abortable-sleep.js';
import { RowkubeError } from '../core/errors.js';
import { RetryBackoff } from '../core/retry-backoff.js';
import type { StatusTableStore } from '../core/status-table.js';
import { formOfNode, statusTableRow } from './status-table-row.js';

// Keeps one hub's status table (`hubs[].status`) equal to what the status
// topic says of the hub's nodes. It writes the latest status of each node, not
// every step: changes that arrive while a write is out are coalesced by node,
// so a bulk costs a few multi-row statements, not one per state. At start it
// compares the table with the topic and writes only what differs, which also
// removes rows of nodes whose status was tombstoned while rowkube was away.
//
// The table is a side output: a database that is away is waited out, a table
// with the wrong shape or missing privileges is reported (and tried again, so
// mending it needs no restart), and neither stops the pipeline.

/** What the sync reads: a StatusView, or anything that folds the status topic the same way. */
export interface StatusSource {
  ready(): Promise<void>;
  list(): NodeStatus[];
  subscribe(listener: (nodeId: string, status: NodeStatus | undefined) => void): () => void;
}

export interface StatusTableSyncOptions {
  hub: string;
  /** The forms of the hub: a tombstone names only its node, and the form tells whose it is. */
  forms: readonly string[];
  view: StatusSource;
  store: StatusTableStore;
  signal: AbortSignal;
  logger?: Logger;
  /** Rows per statement (default 500). */
  batchRows?: number;
  /** The pause before trying again after a database error, ms: the first and the ceiling. */
  retry?: { initialMs: number; maxMs: number };
}

/** Runs until the signal aborts; never rejects (failures are logged and retried). */
export async function syncStatusTable(options: StatusTableSyncOptions): Promise<void> {
  const { hub, view, store, signal, logger } = options;
  const forms = new Set(options.forms);
  const batchRows = options.batchRows ?? 500;
  const backoff = new RetryBackoff(options.retry ?? { initialMs: 500, maxMs: 30_000 });
  // node id → the status to write (undefined: remove the row).
  const pending = new Map<string, NodeStatus | undefined>();
  let wake: () => void = () => undefined;
  const unsubscribe = view.subscribe((nodeId, status) => {
    if (!forms.has(formOfNode(nodeId))) return;
    pending.set(nodeId, status);
    wake();
  });
  signal.addEventListener('abort', () => wake(), { once: true });
  try {
    await view.ready();
    await untilDone(signal, backoff, logger, store, 'preparing', async () => {
      await store.prepare();
      await reconcile(view, store, forms, pending);
    });
    logger?.info({ hub, table: store.label }, 'status table follows the status topic');
    while (!signal.aborted) {
      if (pending.size === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      const batch = take(pending, batchRows);
      await untilDone(signal, backoff, logger, store, 'writing', () => write(store, batch));
      if (signal.aborted) restore(pending, batch);
    }
  } catch (error) {
    // Only the view can fail here (its first read); the pipeline goes on without the table.
    if (!signal.aborted)
      logger?.error({ err: error, hub }, 'the status table stopped: the status topic could not be read');
  } finally {
    unsubscribe();
    await store.close().catch(() => undefined);
  }
}

/** Queues every difference between the table and the topic for the hub's forms. */
async function reconcile(
  view: StatusSource,
  store: StatusTableStore,
  forms: ReadonlySet<string>,
  pending: Map<string, NodeStatus | undefined>,
): Promise<void> {
  const inTable = await store.rows([...forms]);
  const inTopic = new Set<string>();
  for (const status of view.list()) {
    if (!forms.has(status.form)) continue;
    inTopic.add(status.nodeId);
    if (pending.has(status.nodeId)) continue; // a newer change is already queued
    if (inTable.get(status.nodeId) !== Number(status.updatedAtMs)) pending.set(status.nodeId, status);
  }
  for (const nodeId of inTable.keys()) {
    if (!inTopic.has(nodeId) && !pending.has(nodeId)) pending.set(nodeId, undefined);
  }
}

/** Up to `count` queued changes, taken out of the queue in arrival order. */
function take(
  pending: Map<string, NodeStatus | undefined>,
  count: number,
): Map<string, NodeStatus | undefined> {
  const batch = new Map<string, NodeStatus | undefined>();
  for (const [nodeId, status] of pending) {
    if (batch.size >= count) break;
    batch.set(nodeId, status);
    pending.delete(nodeId);
  }
  return batch;
}

/** Puts back what was not written, unless a newer change of the node arrived meanwhile. */
function restore(
  pending: Map<string, NodeStatus | undefined>,
  batch: Map<string, NodeStatus | undefined>,
): void {
  for (const [nodeId, status] of batch) if (!pending.has(nodeId)) pending.set(nodeId, status);
}

async function write(store: StatusTableStore, batch: Map<string, NodeStatus | undefined>): Promise<void> {
  const rows = [];
  const removed = [];
  for (const [nodeId, status] of batch) {
    if (status === undefined) removed.push(nodeId);
    else rows.push(statusTableRow(status));
  }
  if (rows.length > 0) await store.upsert(rows);
  if (removed.length > 0) await store.remove(removed);
}

/**
 * Runs `step` until it succeeds or the signal aborts. A database that is away
 * is retried with backoff and a warning; a RowkubeError that retrying cannot
 * mend (the table's shape, a privilege, a password) is logged as an error, since a person must act, and retried at the
 * ceiling so that mending it needs no restart.
 */
async function untilDone(
  signal: AbortSignal,
  backoff: RetryBackoff,
  logger: Logger | undefined,
  store: StatusTableStore,
  doing: string,
  step: () => Promise<void>,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await step();
      backoff.reset();
      return;
    } catch (error) {
      const pauseMs = backoff.next();
      if (error instanceof RowkubeError && !error.retriable)
        logger?.error({ err: error }, `status table: ${error.message}; trying again in ${pauseMs} ms`);
      else
        logger?.warn(
          { err: error },
          `${doing} the status table (${store.label}) failed; trying again in ${pauseMs} ms`,
        );
      await abortableSleep(pauseMs, signal);
    }
  }
}
