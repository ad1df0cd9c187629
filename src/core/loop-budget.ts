/**
 * Capture, the processor and the sink share one event loop in `rowkube run`.
 * A stage that works through a big batch in one go (the processor rendering
 * a 2,500-row transaction, the sink preparing the nodes of a bulk) holds it
 * for seconds, and every other stage's I/O waits: the binlog, the Kafka
 * fetches, the apiserver's answers. A LoopBudget bounds such a stretch:
 * `await budget.turn()` between items returns at once while the current
 * loop turn has used less than `sliceMs`, and otherwise resumes after the
 * I/O that waited (setImmediate), one waiter at a time, each again within
 * the budget. The work is the same; it only no longer comes in one piece.
 */
export class LoopBudget {
  /** When the current slice began; undefined while none is open. */
  private sliceStart: number | undefined;
  private readonly waiters: (() => void)[] = [];
  private waiterHead = 0;
  private draining = false;

  constructor(
    private readonly sliceMs: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    if (!(sliceMs > 0)) throw new RangeError(`LoopBudget sliceMs must be above 0, got ${sliceMs}`);
  }

  /** Undefined (go on at once) within the slice; else a promise that resolves on a later loop turn. */
  turn(): Promise<void> | undefined {
    if (this.waiterHead === this.waiters.length && this.within()) return undefined;
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.scheduleDrain();
    });
  }

  /** Opens a slice on first use in a loop turn; closes it once the turn's work is done. */
  private within(): boolean {
    const now = this.now();
    if (this.sliceStart === undefined) {
      this.sliceStart = now;
      setImmediate(() => {
        this.sliceStart = undefined;
      });
      return true;
    }
    return now - this.sliceStart < this.sliceMs;
  }

  private scheduleDrain(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => this.drainNext());
  }

  /**
   * Wakes one waiter; the next check runs after that waiter's synchronous
   * part (a microtask queued behind its continuation), so each waiter is
   * measured against the slice.
   */
  private drainNext(): void {
    if (this.waiterHead === this.waiters.length) {
      this.waiters.length = 0;
      this.waiterHead = 0;
      this.draining = false;
      return;
    }
    if (!this.within()) {
      setImmediate(() => this.drainNext());
      return;
    }
    const resolve = this.waiters[this.waiterHead] as () => void;
    this.waiterHead += 1;
    resolve();
    queueMicrotask(() => queueMicrotask(() => this.drainNext()));
  }
}
