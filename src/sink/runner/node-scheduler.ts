import { abortableSleep } from '../../core/abortable-sleep.js';

// One node's records are handled one at a time and in order; different nodes
// run concurrently. A record that arrives while its node is busy supersedes
// the one in progress (which stops at its next step) and any retry pending:
// only the newest desired state of a node matters. A handler that fails
// retriably is retried with doubling pauses while every other node flows.

export interface NodeWork<T> {
  nodeId: string;
  payload: T;
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
  /** Stops everything: work in progress ends as 'stopped'. */
  signal: AbortSignal;
}

interface Slot<T> {
  /** The work in progress, and how to stop it. */
  current: { work: NodeWork<T>; controller: AbortController; finished: Promise<void> } | undefined;
  /** The newest work waiting for the current one to stop. */
  next: NodeWork<T> | undefined;
}

export class NodeScheduler<T> {
  private readonly slots = new Map<string, Slot<T>>();

  constructor(private readonly options: NodeSchedulerOptions<T>) {}

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
      this.start(fresh, work);
      return;
    }
    if (slot.next !== undefined) this.options.onFinished(slot.next, 'superseded');
    slot.next = work;
    slot.current?.controller.abort();
  }

  /** Resolves when no work is in progress (after stop, or for tests). */
  async idle(): Promise<void> {
    while (this.slots.size > 0) {
      await Promise.all([...this.slots.values()].map((slot) => slot.current?.finished));
    }
  }

  private start(slot: Slot<T>, work: NodeWork<T>): void {
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.options.signal]);
    const finished = this.run(work, signal).then((outcome) => {
      this.options.onFinished(work, outcome);
      const next = slot.next;
      slot.next = undefined;
      if (next !== undefined && !this.options.signal.aborted) this.start(slot, next);
      else {
        if (next !== undefined) this.options.onFinished(next, 'stopped');
        this.slots.delete(work.nodeId);
        this.options.onIdle?.(work.nodeId);
      }
    });
    slot.current = { work, controller, finished };
  }

  private async run(work: NodeWork<T>, signal: AbortSignal): Promise<WorkOutcome> {
    const { handle, retriable, onFailure, retryInitialMs, retryMaxMs } = this.options;
    let pause = retryInitialMs;
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
