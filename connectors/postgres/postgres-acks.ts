// What the replication slot is told: the acknowledgement bookkeeping of one
// stream session, apart from the connection so that its rules can be tested.
//
// The contract:
// - A commit's position is acknowledged only once the sink stored it, strictly
//   in commit order (a later commit that resolves first waits for the ones
//   before it), and never past a commit that failed: after any sink failure
//   (a commit here, or an append reported through halt()) nothing more is
//   acknowledged, so the next connection resumes from the last stored commit.
// - `acked` is the last position acknowledged, the one keepalive replies report.
// - Sink commits are not awaited one by one: a sink may group many source
//   transactions into one Kafka transaction, which awaiting each commit would
//   serialise. `pending` counts those in flight; settled() waits for them.

import type { Lsn } from './postgres-offset.js';

/** Acknowledging as commits resolve, or halted by a sink failure: nothing is acknowledged any more. */
type AckState = { kind: 'acking' } | { kind: 'halted' };

export interface CommitAcksOptions {
  /** The stored position the session resumed from: acknowledged already. */
  start: Lsn;
  /** Tells the slot that everything up to `lsn` is stored. Called with increasing positions only. */
  acknowledge: (lsn: Lsn) => void;
  /** A sink commit failed (after the acks halted): the session is to stop. */
  onSinkFailure: (error: unknown) => void;
}

export class CommitAcks {
  private state: AckState = { kind: 'acking' };
  private ackedLsn: Lsn;
  private inFlight = 0;
  /** The in-order chain of sink commits; never rejects. */
  private chain: Promise<void> = Promise.resolve();
  /** When the last idle keepalive commit was made (see idleCommitDue). */
  private lastIdleCommitAt = 0;

  constructor(private readonly options: CommitAcksOptions) {
    this.ackedLsn = options.start;
  }

  /** The last position the sink stored and the slot was told. */
  get acked(): Lsn {
    return this.ackedLsn;
  }

  /** Sink commits started and not settled yet. */
  get pending(): number {
    return this.inFlight;
  }

  get halted(): boolean {
    return this.state.kind === 'halted';
  }

  /**
   * Starts a sink commit that stores `lsn` (`commit` is called at once) and
   * acknowledges `lsn` once it and every commit before it resolved, unless a
   * sink call failed by then. A commit that throws or rejects halts the acks
   * and is reported to onSinkFailure, in order.
   */
  commit(commit: () => Promise<void> | void, lsn: Lsn): void {
    this.inFlight += 1;
    let committed: Promise<void>;
    try {
      committed = Promise.resolve(commit());
    } catch (error) {
      committed = Promise.reject(error);
    }
    // Handled below, in order; this keeps an early rejection from counting as unhandled.
    committed.catch(() => undefined);
    this.chain = this.chain.then(async () => {
      try {
        await committed;
        if (this.state.kind === 'acking') this.acknowledge(lsn);
      } catch (error) {
        this.halt();
        this.options.onSinkFailure(error);
      } finally {
        this.inFlight -= 1;
      }
    });
  }

  /** A sink call failed: nothing is acknowledged from now on, not even commits already stored. */
  halt(): void {
    this.state = { kind: 'halted' };
  }

  /** Resolves once every commit started so far settled (and was acknowledged or not). */
  settled(): Promise<void> {
    return this.chain;
  }

  /**
   * Whether a keepalive at server position `keepalive` should be stored and
   * acknowledged as an idle commit now; records the attempt if so.
   */
  idleCommitDue(keepalive: Lsn, quiet: boolean, now: number, intervalMs: number): boolean {
    const due = idleCommitDue({
      quiet,
      keepalive,
      acked: this.ackedLsn,
      now,
      lastIdleCommitAt: this.lastIdleCommitAt,
      intervalMs,
    });
    if (due) this.lastIdleCommitAt = now;
    return due;
  }

  private acknowledge(lsn: Lsn): void {
    if (lsn <= this.ackedLsn) return;
    this.ackedLsn = lsn;
    this.options.acknowledge(lsn);
  }
}

/** What the session knows about work in progress when a keepalive or a tick comes. */
export interface Activity {
  transactionOpen: boolean;
  /** Handlers queued or running. */
  busy: number;
  /** Sink commits not settled. */
  pendingCommits: number;
  /** Messages parsed off the connection, and messages handled: a difference is waiting. */
  received: number;
  handled: number;
}

/**
 * Quiet: nothing received is unhandled, no transaction is open, no commit is
 * pending. Then every captured change before the server's keepalive position
 * is stored, and no transaction that commits later can commit before it.
 */
export function isQuiet(activity: Activity): boolean {
  return (
    !activity.transactionOpen &&
    activity.busy === 0 &&
    activity.pendingCommits === 0 &&
    activity.received === activity.handled
  );
}

export interface IdleCommitInput {
  quiet: boolean;
  /** The server's WAL position in the keepalive. */
  keepalive: Lsn;
  acked: Lsn;
  now: number;
  lastIdleCommitAt: number;
  /** The least time between two idle commits. */
  intervalMs: number;
}

/**
 * An idle commit stores and acknowledges a keepalive's position so that a slot
 * on an idle table does not pin the WAL that other tables write. Only when
 * quiet (see isQuiet), only forward, and at most once per interval.
 */
export function idleCommitDue(input: IdleCommitInput): boolean {
  if (!input.quiet || input.keepalive <= input.acked) return false;
  return input.now - input.lastIdleCommitAt >= input.intervalMs;
}
