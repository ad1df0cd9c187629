import { performance } from 'node:perf_hooks';
import type { ChangeSink, CommitInfo, RowChange, SchemaVersion } from '../../src/core/change-event.js';

// KafkaChangeSink.stats counts events when they are *sent* into a Kafka
// transaction; the throughput phase must stop the clock when they are
// *committed*. This wrapper counts the changes behind each commit() and adds
// them when that commit resolves (after the Kafka transaction holding them
// committed). It passes every call through unchanged, synchronous returns
// included, so the connector sees the sink it would see in production.
//
// With `tracing` on (the latency phase), it also notes per row id when the
// connector handed the change over, when it called commit() and when that
// commit resolved, which splits a row's latency into its stages.

/** performance.now() at each stage of one row, keyed by the row's id. */
export interface RowTrace {
  appendAt: number;
  commitAt?: number;
  committedAt?: number;
}

export class CountingSink implements ChangeSink {
  /** Changes whose Kafka transaction committed. */
  committedEvents = 0;
  /** Source transactions committed (position-only ones included). */
  commits = 0;
  /** performance.now() of the first append, and of the latest commit that resolved. */
  firstAppendAt: number | undefined;
  lastCommitAt: number | undefined;
  /** process.cpuUsage() at the first append: the CPU spent streaming, without start-up. */
  cpuAtFirstAppend: NodeJS.CpuUsage | undefined;
  /** Record a RowTrace per row id (off during the throughput phase: it costs a Map entry per row). */
  tracing = false;
  readonly traces = new Map<number, RowTrace>();
  private pending = 0;
  private pendingTraces: RowTrace[] = [];

  constructor(private readonly inner: ChangeSink) {}

  append(change: RowChange): Promise<void> | void {
    if (this.firstAppendAt === undefined) {
      this.firstAppendAt = performance.now();
      this.cpuAtFirstAppend = process.cpuUsage();
    }
    this.pending += 1;
    if (this.tracing) {
      const id = (change.after ?? change.before)?.id;
      if (typeof id === 'number') {
        const trace: RowTrace = { appendAt: performance.now() };
        this.traces.set(id, trace);
        this.pendingTraces.push(trace);
      }
    }
    return this.inner.append(change);
  }

  commit(info: CommitInfo): Promise<void> {
    const events = this.pending;
    this.pending = 0;
    const traces = this.pendingTraces;
    this.pendingTraces = [];
    const commitAt = performance.now();
    for (const trace of traces) trace.commitAt = commitAt;
    return this.inner.commit(info).then(() => {
      const committedAt = performance.now();
      for (const trace of traces) trace.committedAt = committedAt;
      this.committedEvents += events;
      this.commits += 1;
      this.lastCommitAt = committedAt;
    });
  }

  recordSchema(version: SchemaVersion): void {
    this.inner.recordSchema?.(version);
  }

  abort(): Promise<void> | void {
    this.pending = 0;
    this.pendingTraces = [];
    return this.inner.abort?.();
  }
}
