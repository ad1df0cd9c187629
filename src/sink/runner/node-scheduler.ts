import { abortableSleep } from '../../core/abortable-sleep.js';
import { LoopBudget } from '../../core/loop-budget.js';
import type { RequestLane } from './request-lane.js';

// One node's records are handled one at a time and in order; different nodes
// run concurrently. A record that arrives while its node is busy supersedes
// the one in progress (which stops at its next step) and any retry pending:
// only the newest desired state of a node matters. A handler that fails
// retriably is retried with doubling pauses while every other node flows.
//
// Bulk work (new nodes) starts only while fewer than `maxStarted` nodes run;
// the rest waits parked, in arrival order, holding only its work entry (the
// value is the one the sink keeps anyway). A node's work in progress holds
// its rendered objects and pending requests, which is what costs memory; a
// parked entry does not. So the consumer may read far past a bulk — and find
// the single-row update behind it — while what runs stays bounded. Urgent
// work (a node that exists) starts at once, parked bulk or not.

export interface NodeWork<T> {
  nodeId: string;
  payload: T;
  /** Urgent work starts at once; bulk work may wait its turn (default bulk). */
  lane?: RequestLane;
}

export type WorkOutcome = 'done' | 'superseded' | 'stopped';

export interface NodeSchedulerOptions<T> {
  /** Handles one record; throws to be retried (when `retriable(error)`), or the failure is final. */
  handle: (work: NodeWork<T>, signal: AbortSignal, attempt: number) => Promise<void>;
  /** Whether a failure is worth retrying (a lost connection) or final (an invalid object). */
  retriable: (error: unknown) => boolean;
  /** Told about every failure: retried or final. */
  onFailure: (work: NodeWork<T>, error: unknown, retryInMs: number | undefined) => void;
  /** The node has no work in progress or waiting any more. */
  onIdle?: (nodeId: string) => void;
  /** Every submitted work ends here exactly once. */
  onFinished: (work: NodeWork<T>, outcome: WorkOutcome) => void;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Awaited after the pause, before a retry: e.g. until an API server that did not answer answers again. */
  beforeRetry?: (error: unknown, signal: AbortSignal) => Promise<void>;
  /** Nodes running at once before bulk work is parked (default: no bound). */
  maxStarted?: number;
  /** Stops everything: work in progress ends as 'stopped'. */
  signal: AbortSignal;
  /**
   * How long bulk work may start nodes in one event-loop turn before it lets
   * the I/O that waits go first, ms (default BULK_SLICE_MS). Urgent work
   * does not wait for it.
   */
  bulkSliceMs?: number;
}

/**
 * A bulk of new nodes arrives in one consumer batch; starting them all in one
 * go (each prepares its objects before its first request) held the event loop
 * for over a second at 2,500 nodes, while capture and the processor, in the
 * same process, waited with the urgent updates.
 */
export const BULK_SLICE_MS = 10;

interface Slot<T> {
  /** The work in progress, and how to stop it; undefined while the node is parked. */
  current: { work: NodeWork<T>; controller: AbortController; finished: Promise<void> } | undefined;
  /** The newest work waiting for the current one to stop (or, parked, for its turn). */
  next: NodeWork<T> | undefined;
}

export class NodeScheduler<T> {
  private readonly slots = new Map<string, Slot<T>>();
  /** Nodes parked for their turn, in arrival order; a node started meanwhile is skipped when reached. */
  private readonly parked: string[] = [];
  private parkedHead = 0;
  /** Nodes with work in progress (slots not parked). */
  private running = 0;
  private readonly maxStarted: number;
  private idleWaiters: (() => void)[] = [];
  private readonly bulkBudget: LoopBudget;

  constructor(private readonly options: NodeSchedulerOptions<T>) {
    this.maxStarted = options.maxStarted ?? Number.POSITIVE_INFINITY;
    this.bulkBudget = new LoopBudget(options.bulkSliceMs ?? BULK_SLICE_MS);
    if (!(this.maxStarted >= 1))
      throw new RangeError(`NodeScheduler maxStarted must be at least 1, got ${options.maxStarted}`);
    // Parked work never started: it ends as stopped with everything else.
    options.signal.addEventListener('abort', () => this.dropParked(), { once: true });
  }

  /** Nodes with work in progress or waiting. */
  get busy(): number {
    return this.slots.size;
  }

  /** Whether the node has work in progress or waiting. */
  isBusy(nodeId: string): boolean {
    return this.slots.has(nodeId);
  }

  submit(work: NodeWork<T>): void {
    const slot = this.slots.get(work.nodeId);
    if (slot === undefined) {
      const fresh: Slot<T> = { current: undefined, next: undefined };
      this.slots.set(work.nodeId, fresh);
      if (this.mayStart(work)) this.start(fresh, work);
      else this.park(fresh, work);
      return;
    }
    if (slot.next !== undefined) this.options.onFinished(slot.next, 'superseded');
    slot.next = work;
    if (slot.current === undefined) {
      // Parked: urgent work does not wait for the bulk ahead of it.
      if (work.lane === 'urgent' && !this.options.signal.aborted) {
        slot.next = undefined;
        this.start(slot, work);
      }
      return;
    }
    slot.current.controller.abort();
  }

  /** Resolves when no work is in progress or waiting (after stop, or for tests). */
  async idle(): Promise<void> {
    while (this.slots.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private mayStart(work: NodeWork<T>): boolean {
    if (this.options.signal.aborted) return true; // ends at once as stopped
    return (
      work.lane === 'urgent' || (this.running < this.maxStarted && this.parkedHead === this.parked.length)
    );
  }

  private park(slot: Slot<T>, work: NodeWork<T>): void {
    slot.next = work;
    this.parked.push(work.nodeId);
  }

  /** Starts parked nodes while there is room. */
  private unpark(): void {
    while (this.running < this.maxStarted && this.parkedHead < this.parked.length) {
      const nodeId = this.parked[this.parkedHead] as string;
      this.parkedHead += 1;
      const slot = this.slots.get(nodeId);
      if (slot === undefined || slot.current !== undefined || slot.next === undefined) continue;
      const work = slot.next;
      slot.next = undefined;
      this.start(slot, work);
    }
    if (this.parkedHead === this.parked.length) {
      this.parked.length = 0;
      this.parkedHead = 0;
    } else if (this.parkedHead >= 1_024 && this.parkedHead * 2 >= this.parked.length) {
      this.parked.splice(0, this.parkedHead);
      this.parkedHead = 0;
    }
  }

  private dropParked(): void {
    for (const [nodeId, slot] of this.slots) {
      if (slot.current !== undefined) continue;
      this.slots.delete(nodeId);
      if (slot.next !== undefined) this.options.onFinished(slot.next, 'stopped');
    }
    this.parked.length = 0;
    this.parkedHead = 0;
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.slots.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private start(slot: Slot<T>, work: NodeWork<T>): void {
    if (slot.current === undefined) this.running += 1;
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.options.signal]);
    const finished = this.run(work, signal).then((outcome) => {
      this.options.onFinished(work, outcome);
      const next = slot.next;
      slot.next = undefined;
      if (next !== undefined && !this.options.signal.aborted) {
        slot.current = undefined;
        // Still counted as running: the node goes straight on with its newest work.
        this.running -= 1;
        this.start(slot, next);
      } else {
        if (next !== undefined) this.options.onFinished(next, 'stopped');
        slot.current = undefined;
        this.running -= 1;
        this.slots.delete(work.nodeId);
        this.options.onIdle?.(work.nodeId);
        this.unpark();
        this.notifyIdle();
      }
    });
    slot.current = { work, controller, finished };
  }

  private async run(work: NodeWork<T>, signal: AbortSignal): Promise<WorkOutcome> {
    const { handle, retriable, onFailure, retryInitialMs, retryMaxMs } = this.options;
    let pause = retryInitialMs;
    if (work.lane !== 'urgent') {
      const turn = this.bulkBudget.turn();
      if (turn !== undefined) await turn;
    }
    for (let attempt = 1; ; attempt += 1) {
      if (signal.aborted) return this.options.signal.aborted ? 'stopped' : 'superseded';
      try {
        await handle(work, signal, attempt);
        // A handler may return early when stopped: then its work is not known to be complete.
        if (this.options.signal.aborted) return 'stopped';
        return signal.aborted ? 'superseded' : 'done';
      } catch (error) {
        if (signal.aborted) return this.options.signal.aborted ? 'stopped' : 'superseded';
        if (!retriable(error)) {
          onFailure(work, error, undefined);
          return 'done';
        }
        onFailure(work, error, pause);
        await abortableSleep(pause, signal);
        await this.options.beforeRetry?.(error, signal);
        pause = Math.min(pause * 2, retryMaxMs);
      }
    }
  }
}
