import type {
  ChangeSink,
  CommitInfo,
  RowChange,
  SchemaVersion,
  SourcePosition,
} from '../src/core/change-event.js';

// The sink as one attempt of runCapture hands it to a connector. It passes
// every call through and remembers what the loop must know once the attempt
// ends, whatever the connector made of it:
// - whether the sink failed (a Kafka outage): that failure decides, and the
//   sink must be aborted before it is used again;
// - whether changes were appended since the last commit (a transaction cut
//   short): they must be dropped before the source sends them again;
// - the last position the sink acknowledged: the attempt made progress, and
//   the next one never resumes behind it.

// It has no abort(): dropping a transaction is the loop's decision, not the connector's.
export class AttemptSink implements ChangeSink {
  /** The first error a sink call threw or rejected with. */
  failure: { error: unknown } | undefined;
  /** Changes appended since the last commit() was called. */
  openAppends = 0;
  /** The position of the last commit the sink acknowledged, in call order. */
  committed: SourcePosition | undefined;

  constructor(private readonly sink: ChangeSink) {}

  append(change: RowChange): Promise<void> | void {
    this.openAppends += 1;
    let pending: Promise<void> | void;
    try {
      pending = this.sink.append(change);
    } catch (error) {
      this.failed(error);
      throw error;
    }
    return pending ? pending.catch((error: unknown) => this.rethrow(error)) : undefined;
  }

  commit(info: CommitInfo): Promise<void> {
    // The sink takes the open transaction now: appends after this belong to the next one.
    this.openAppends = 0;
    let committed: Promise<void>;
    try {
      committed = this.sink.commit(info);
    } catch (error) {
      committed = Promise.reject(error);
    }
    return committed.then(
      () => {
        // Commits resolve in call order, so the last one resolved is the furthest.
        this.committed = info.position;
      },
      (error: unknown) => this.rethrow(error),
    );
  }

  recordSchema(version: SchemaVersion): void {
    // Part of the open transaction: dropped with it if the attempt ends first.
    this.openAppends += 1;
    this.sink.recordSchema?.(version);
  }

  private rethrow(error: unknown): never {
    this.failed(error);
    throw error;
  }

  private failed(error: unknown): void {
    this.failure ??= { error };
  }
}
