// The processor's one timer for expiring rows (hubs[].expireAt): set for the
// earliest expiry the materializer holds, moved whenever that changes, never
// one per node. Re-armed after every commit, since a change may have moved,
// added or removed the earliest time.

/** setTimeout's longest delay (about 24.8 days); a later expiry is re-armed on the way. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class ExpiryTimer {
  private timer: NodeJS.Timeout | undefined;
  private armedFor: number | undefined;

  /**
   * `next`: the earliest expiry (ms since epoch) or undefined; `fire`: called
   * once that time has come (it expires the due nodes, then arms again).
   */
  constructor(
    private readonly next: () => number | undefined,
    private readonly fire: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sets the timer for the earliest expiry, unless it is already set for that time. */
  arm(): void {
    const at = this.next();
    if (at === this.armedFor && (at === undefined || this.timer !== undefined)) return;
    this.stop();
    if (at === undefined) return;
    this.armedFor = at;
    const delay = Math.min(Math.max(0, at - this.now()), MAX_DELAY_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedFor = undefined;
      this.fire();
    }, delay);
    // Never what keeps a process alive: the processor's loop does that.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }
}
