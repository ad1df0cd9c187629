import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { abortableSleep } from '../core/abortable-sleep.js';
import {
  decideLease,
  type LeaseSpec,
  type ObservedLease,
  observeLease,
  releasedLease,
  renewDeadlinePassed,
} from './lease-decision.js';
import type { LeaseStore } from './lease-store.js';

// One replica's campaign for one Lease, client-go style: try to acquire every
// retry period; once leading, run the caller's work under a term signal and
// renew every retry period; abort the term as soon as a renewal fails for the
// renew deadline or another replica is seen holding the Lease; release the
// Lease when the work stops on request, so a standby takes over at once.
//
// Timing is judged on the monotonic clock, so a process paused by SIGSTOP or
// a stalled event loop finds on waking that its deadline passed: isLeader()
// turns false by itself, before any renewal round-trip, and the caller checks
// it before each write.

export interface LeaseTiming {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export interface LeaseClock {
  /** Monotonic milliseconds (performance.now): what all timing is judged by. */
  nowMs(): number;
  /** Wall time, written into the Lease for people. */
  now(): Date;
}

const SYSTEM_CLOCK: LeaseClock = { nowMs: () => performance.now(), now: () => new Date() };

/** How a term of leadership ended, as the elector's caller reports it. */
export type TermEnd =
  /** The work stopped because the elector or the caller's signal asked it to. */
  | 'stopped'
  /**
   * The work found it must not lead (fenced by the broker, the lease lost):
   * the elector stops leading without giving the Lease up, and campaigns
   * again after a retry period — doubling, up to 30 s, while terms keep
   * ending so within a lease duration (something keeps fencing this
   * replica, or refuses its transactional id).
   */
  | 'step-down';

/** What the elector tells its caller, for logs, readiness and metrics. */
export interface LeadershipEvents {
  /** This replica leads from now; the term begins. */
  onLeading?(): void;
  /** This replica's term ended (`why` for people). */
  onLost?(why: string): void;
  /** Another replica holds the Lease: called when the holder seen changes. */
  onStandby?(holder: string): void;
}

export interface LeaseElectorOptions extends LeadershipEvents {
  store: LeaseStore;
  /** This replica's holderIdentity: its instance name, distinct per replica. */
  identity: string;
  timing: LeaseTiming;
  /** Lines carry `lease` and `holder`. */
  logger: Logger;
  /** For logs: the Lease's namespace/name. */
  lease: string;
  clock?: LeaseClock;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The longest pause after repeated quick step-downs. */
const MAX_STEP_DOWN_PAUSE_MS = 30_000;

/** The pause before campaigning again after the `quick`-th step-down in a row that came within a lease duration. */
export function stepDownPauseMs(retryPeriodMs: number, quick: number): number {
  return Math.min(MAX_STEP_DOWN_PAUSE_MS, retryPeriodMs * 2 ** Math.max(0, quick - 1));
}

/** The outcome of one try: leading now, or who holds it (undefined: unknown, the try failed or lost a race). */
export type TryResult = { leading: true } | { leading: false; holder: string | undefined };

export class LeaseElector {
  private readonly clock: LeaseClock;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly log: Logger;
  private observed: ObservedLease | undefined;
  /** The resourceVersion and spec of our last successful write or read. */
  private last: { resourceVersion: string; spec: LeaseSpec } | undefined;
  private leading = false;
  /** Monotonic time at which the last successful acquisition or renewal was sent. */
  private lastRenewMs = Number.NEGATIVE_INFINITY;
  private holderSeen: string | undefined;

  constructor(private readonly options: LeaseElectorOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.sleep = options.sleep ?? abortableSleep;
    this.log = options.logger.child({ lease: options.lease });
  }

  /**
   * True while this replica leads and its last renewal is younger than the
   * renew deadline, judged now on the monotonic clock: false at once after a
   * pause, even before the renew loop noticed.
   */
  isLeader(): boolean {
    return this.leading && !renewDeadlinePassed(this.lastRenewMs, this.clock.nowMs(), this.renewDeadlineMs);
  }

  /** The holder last seen in the Lease (this replica's identity while it leads). */
  get holder(): string | undefined {
    return this.holderSeen;
  }

  /**
   * Campaigns and leads until `signal` aborts: `lead` runs once per term with
   * a signal that aborts when the term ends (lost, or `signal`). Resolves
   * after the last term ended and the Lease was released; rejects with what
   * `lead` rejected with (after releasing the Lease), since a failure of the
   * work is not a reason to hand it to another replica that would fail alike.
   */
  async run(signal: AbortSignal, lead: (term: AbortSignal) => Promise<TermEnd>): Promise<void> {
    let quickStepDowns = 0;
    while (!signal.aborted) {
      const result = await this.tryAcquireOrRenew();
      if (!result.leading) {
        await this.sleep(this.retryPeriodMs, signal);
        continue;
      }
      const startedMs = this.clock.nowMs();
      const end = await this.leadTerm(signal, lead);
      const quick = this.clock.nowMs() - startedMs < this.options.timing.leaseDurationSeconds * 1000;
      quickStepDowns = end === 'step-down' && quick ? quickStepDowns + 1 : 0;
      if (end === 'step-down') await this.sleep(stepDownPauseMs(this.retryPeriodMs, quickStepDowns), signal);
    }
  }

  /**
   * One try (GET, then create or update with the resourceVersion read):
   * acquires or renews the Lease, or learns who holds it. Failures of the
   * API server are logged and count as not leading this time.
   */
  async tryAcquireOrRenew(): Promise<TryResult> {
    const startedMs = this.clock.nowMs();
    try {
      const current = await this.options.store.get();
      const nowMs = this.clock.nowMs();
      this.observed = observeLease(this.observed, current?.spec, nowMs);
      const decision = decideLease({
        current: current?.spec,
        observed: this.observed,
        identity: this.options.identity,
        leading: this.leading,
        leaseDurationSeconds: this.options.timing.leaseDurationSeconds,
        nowMs,
        now: this.clock.now(),
      });
      if (decision.kind === 'held') {
        this.seeHolder(decision.holder);
        return { leading: false, holder: decision.holder };
      }
      const written =
        decision.kind === 'create'
          ? await this.options.store.create(decision.spec)
          : await this.options.store.update(current?.resourceVersion ?? '', decision.spec);
      if (written === undefined) {
        // 409: another replica wrote first; the next try reads what it wrote.
        this.log.debug({ action: 'conflict' }, 'lost a race for the Lease');
        return { leading: false, holder: undefined };
      }
      // The others date the record from when they read it, which is after we sent it.
      this.observed = { spec: written.spec, observedAtMs: startedMs };
      this.last = written;
      this.lastRenewMs = startedMs;
      this.holderSeen = this.options.identity;
      return { leading: true };
    } catch (error) {
      this.log.warn({ err: error, action: 'lease-error' }, 'reading or writing the Lease failed');
      return { leading: false, holder: undefined };
    }
  }

  /** Gives the Lease up if this replica still holds it as last written: a standby takes over at its next try. */
  async release(): Promise<void> {
    const last = this.last;
    this.leading = false;
    if (last === undefined || last.spec.holderIdentity !== this.options.identity) return;
    try {
      const released = await this.options.store.update(
        last.resourceVersion,
        releasedLease(last.spec, this.clock.now()),
      );
      if (released !== undefined) {
        this.last = released;
        this.log.info({ action: 'release', holder: '' }, 'released leadership');
      }
    } catch (error) {
      this.log.warn({ err: error, action: 'release' }, 'releasing the Lease failed: it expires by itself');
    }
  }

  private async leadTerm(
    signal: AbortSignal,
    lead: (term: AbortSignal) => Promise<TermEnd>,
  ): Promise<TermEnd> {
    const term = new AbortController();
    const lost = (why: string) => {
      if (term.signal.aborted) return;
      this.leading = false;
      this.log.warn({ action: 'lost', identity: this.options.identity }, `lost leadership: ${why}`);
      this.options.onLost?.(why);
      term.abort(new Error(why));
    };
    const onStop = () => term.abort(signal.reason);
    signal.addEventListener('abort', onStop, { once: true });
    this.leading = true;
    this.log.info({ action: 'acquired', holder: this.options.identity }, 'acquired leadership');
    this.options.onLeading?.();
    const renewing = this.keepRenewing(term.signal, lost);
    let end: TermEnd = 'stopped';
    try {
      end = await lead(term.signal);
      return end;
    } finally {
      signal.removeEventListener('abort', onStop);
      if (end === 'step-down') lost('the work stepped down');
      // Ended on request or by failing: give the Lease up unless it was lost.
      const wasLeading = this.leading;
      term.abort();
      await renewing;
      this.leading = false;
      if (wasLeading && end !== 'step-down') {
        await this.release();
        this.options.onLost?.('stopped');
      }
    }
  }

  /** Renews every retry period until the term ends; calls `lost` when the Lease is gone or the deadline passed. */
  private async keepRenewing(term: AbortSignal, lost: (why: string) => void): Promise<void> {
    // The deadline fires even while a renewal hangs on a slow API server.
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      const leftMs = this.lastRenewMs + this.renewDeadlineMs - this.clock.nowMs();
      watchdog = setTimeout(
        () => {
          if (!this.isLeader()) lost(`could not renew within ${this.options.timing.renewDeadlineSeconds} s`);
          else arm();
        },
        Math.max(0, leftMs),
      );
      watchdog.unref?.();
    };
    arm();
    try {
      while (!term.aborted) {
        await this.sleep(this.retryPeriodMs, term);
        if (term.aborted) return;
        if (!this.isLeader()) {
          lost(`could not renew within ${this.options.timing.renewDeadlineSeconds} s`);
          return;
        }
        const result = await this.tryAcquireOrRenew();
        if (term.aborted) return;
        if (result.leading) arm();
        else if (result.holder !== undefined) {
          lost(`the Lease is held by ${result.holder}`);
          return;
        }
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  private seeHolder(holder: string): void {
    if (holder === this.holderSeen) return;
    this.holderSeen = holder;
    this.log.info({ action: 'standby', holder }, `standing by (leader: ${holder})`);
    this.options.onStandby?.(holder);
  }

  private get retryPeriodMs(): number {
    return this.options.timing.retryPeriodSeconds * 1000;
  }

  private get renewDeadlineMs(): number {
    return this.options.timing.renewDeadlineSeconds * 1000;
  }
}
