import type { ChangeSink, CommitInfo, RowChange, SchemaVersion } from '../core/change-event.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';

// The last line before a capture writes: every call to the source's sink
// first asks whether this replica still leads, on the monotonic clock. A
// leader paused (SIGSTOP, a stalled event loop) past its renew deadline
// wakes with binlog or WAL data already buffered; without this check it
// would hand that to its producer before the renew loop noticed the loss.
// Kafka's fence (the transactional id) would still stop the write once the
// new leader opened its producer; this check also covers the moments before
// that, and keeps abort() from restarting the producer — which would fence
// the new leader in turn.

/** Thrown by a guarded sink once this replica no longer leads: not retriable, capture steps down. */
export class NotLeaderError extends RowkubeError {
  constructor(source: string) {
    super(
      ErrorCode.NOT_LEADER,
      `source ${source}: this replica no longer holds the source's Lease; capture stops here`,
      false,
    );
    this.name = 'NotLeaderError';
  }
}

export class LeaderGuardSink implements ChangeSink {
  constructor(
    private readonly inner: ChangeSink,
    private readonly source: string,
    private readonly isLeader: () => boolean,
  ) {}

  append(change: RowChange): Promise<void> | void {
    this.check();
    return this.inner.append(change);
  }

  commit(info: CommitInfo): Promise<void> {
    try {
      this.check();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.inner.commit(info);
  }

  async abort(): Promise<void> {
    this.check();
    await this.inner.abort?.();
  }

  recordSchema(version: SchemaVersion): void {
    this.check();
    this.inner.recordSchema?.(version);
  }

  private check(): void {
    if (!this.isLeader()) throw new NotLeaderError(this.source);
  }
}
