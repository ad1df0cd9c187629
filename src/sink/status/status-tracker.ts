import type { Logger } from 'pino';
import type { AuditEvent, DesiredValue, NodeState, NodeStatus } from '../../contracts/index.js';
import { abortableSleep } from '../../core/abortable-sleep.js';
import { buildNodeStatus, nodeStateOf, type StatusPhase, statusDigest } from './node-state.js';
import type { StatusBuilder } from './status-publisher.js';

// Keeps each node's status on `<prefix>.status` in step with what the sink
// does to it (docs/status.md). The scheduler tells it when a record starts
// (Progressing) and how each handling ended, with the same audit events it
// publishes; the state machine is node-state.ts. Per node it keeps only the
// state, since when, and a digest of the last status, so that a drift
// re-apply that changes nothing writes nothing. A Deleted node gets its
// tombstone once the retention has passed, counted from the deletion: the
// sink's read of the status topic at start (seed) carries that over restarts.

/** Where statuses go: StatusPublisher, or a recorder in tests. */
export interface StatusSink {
  publish(nodeId: string, build: StatusBuilder): Promise<void>;
}

export interface StatusTrackerOptions {
  sink: StatusSink;
  /** How long a Deleted status stays before its tombstone (sink.statusDeletedRetentionSeconds), ms. */
  deletedRetentionMs: number;
  /** hub and form of a node, also of one that is gone (its desired tombstone says nothing else). */
  partsOf: (nodeId: string, value: DesiredValue | null) => { hub: string; form: string };
  /**
   * Whether this replica may write the node's tombstone now: the node is
   * still gone and its partition is this replica's, so no other replica is
   * writing a newer status for it.
   */
  mayRemove: (nodeId: string) => boolean;
  logger: Logger;
  /** The clock, ms since epoch (tests). */
  now?: () => number;
}

interface NodeMemo {
  state: NodeState;
  sinceMs: bigint;
  /** statusDigest of the last status built; 0 until one is. */
  digest: number;
}

export class StatusTracker {
  private readonly memo = new Map<string, NodeMemo>();
  /** Deleted nodes → when their tombstone is due, ms since epoch. */
  private readonly removals = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: StatusTrackerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Nodes with a status. */
  get size(): number {
    return this.memo.size;
  }

  /** A node's current state as tracked, for tests and logs. */
  stateOf(nodeId: string): NodeState | undefined {
    return this.memo.get(nodeId)?.state;
  }

  /** A status read from the topic at start (the latest per node); a tombstone forgets the node. */
  seed(nodeId: string, status: NodeStatus | null): void {
    if (status === null) {
      this.memo.delete(nodeId);
      this.removals.delete(nodeId);
      return;
    }
    this.memo.set(nodeId, {
      state: status.state,
      sinceMs: status.stateSinceMs,
      digest: statusDigest(status),
    });
    if (status.state === 'Deleted')
      this.removals.set(nodeId, Number(status.stateSinceMs) + this.options.deletedRetentionMs);
    else this.removals.delete(nodeId);
  }

  /** A record of the node starts: Progressing. Not waited for: the handling's own status is. */
  started(nodeId: string, value: DesiredValue): void {
    this.write(nodeId, value, [], { kind: 'started' }, false).catch((error) =>
      this.options.logger.warn({ err: error, node: nodeId }, 'writing the Progressing status failed'),
    );
  }

  /**
   * The node was handled (applied, or removed when `value` is null) with
   * these events. Resolves once its status is acknowledged. `quiet`: a
   * re-apply of no new record (drift), written only when it changes the status.
   */
  handled(
    nodeId: string,
    value: DesiredValue | null,
    events: readonly AuditEvent[],
    quiet: boolean,
  ): Promise<void> {
    return this.write(nodeId, value, events, { kind: 'handled' }, quiet);
  }

  /** The node failed as a whole: the sink retries it (Progressing, with the error) or gave up (Failed). */
  failed(
    nodeId: string,
    value: DesiredValue | null,
    error: { code: string; message: string },
    final: boolean,
  ): Promise<void> {
    return this.write(nodeId, value, [], { kind: 'failed', final, error }, false);
  }

  /** Writes the tombstones that are due; returns how many. */
  removeDue(): number {
    const now = this.now();
    let removed = 0;
    for (const [nodeId, due] of this.removals) {
      if (due > now) continue;
      if (this.memo.get(nodeId)?.state !== 'Deleted') {
        this.removals.delete(nodeId);
        continue;
      }
      // Not this replica's (or back again): looked at again on the next tick.
      if (!this.options.mayRemove(nodeId)) continue;
      this.removals.delete(nodeId);
      this.memo.delete(nodeId);
      removed += 1;
      this.options.sink
        .publish(nodeId, () => null)
        .catch((error) =>
          this.options.logger.warn(
            { err: error, node: nodeId },
            'writing the tombstone of a deleted node failed',
          ),
        );
    }
    return removed;
  }

  /** Writes due tombstones every tick until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    // A tenth of the retention, between 100 ms and 10 s: a tombstone is at most that late.
    const tickMs = Math.min(10_000, Math.max(100, this.options.deletedRetentionMs / 10));
    while (!signal.aborted) {
      this.removeDue();
      await abortableSleep(tickMs, signal);
    }
  }

  private write(
    nodeId: string,
    value: DesiredValue | null,
    events: readonly AuditEvent[],
    phase: StatusPhase,
    quiet: boolean,
  ): Promise<void> {
    const nowMs = BigInt(this.now());
    const { state, error } = nodeStateOf(value, events, phase);
    const previous = this.memo.get(nodeId);
    const sinceMs = previous !== undefined && previous.state === state ? previous.sinceMs : nowMs;
    const memo: NodeMemo = { state, sinceMs, digest: previous?.digest ?? 0 };
    this.memo.set(nodeId, memo);
    if (state === 'Deleted') {
      if (previous?.state !== 'Deleted')
        this.removals.set(nodeId, this.now() + this.options.deletedRetentionMs);
    } else this.removals.delete(nodeId);
    const build = (): NodeStatus => {
      const status = buildNodeStatus({
        nodeId,
        ...this.options.partsOf(nodeId, value),
        value,
        events,
        state,
        error,
        stateSinceMs: sinceMs,
        nowMs,
      });
      memo.digest = statusDigest(status);
      return status;
    };
    if (!quiet) return this.options.sink.publish(nodeId, build);
    // Built now, to compare: a drift re-apply is not on the hot path.
    const before = memo.digest;
    const status = build();
    if (status.state === previous?.state && memo.digest === before) return Promise.resolve();
    return this.options.sink.publish(nodeId, () => status);
  }
}
