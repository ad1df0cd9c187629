import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { auditTopic, type DecodedAuditEvent } from '../src/contracts/index.js';
import { decodeAudit, readTopic } from '../src/kafka/index.js';

// `<prefix>.audit` followed read_committed from its start, as any audit
// consumer reads it: the tests', the benchmarks' and the demo's view of what
// the sink did. Events are kept in order, with running tallies so that a
// wait on tens of thousands of events does not read them again on every probe.
// Times come from the events themselves (appliedAtMs, the sink's clock), not
// from when this consumer happened to read them.

/** Actions after which the object exists as desired. */
const IN_PLACE = new Set(['created', 'configured', 'unchanged']);

export interface FollowOptions {
  /**
   * Wait this long for the topic to exist (the sink creates it when it
   * starts) instead of requiring it; `abandon` rejecting ends that wait.
   */
  waitForTopicMs?: number;
  abandon?: Promise<unknown>;
}

export interface AuditWaitOptions {
  /** No progress for this long rejects, with what the audit shows. */
  stallMs: number;
  /** Rejects when what produces the events failed (a stage of the pipeline). */
  abandon?: Promise<unknown>;
  /** What counts as progress; default: events read. */
  progress?: () => number;
}

export class AuditFollower {
  /** Every event, in the order read. */
  readonly events: DecodedAuditEvent[] = [];
  /** Events per action. */
  readonly actions: Record<string, number> = {};
  /** The first event that is not an object in place, for the message when a wait stalls. */
  firstProblem: string | undefined;
  /** appliedAtMs of each distinct object's first in-place event, in the order read. */
  readonly inPlaceAtMs: number[] = [];
  /** performance.now() when the latest distinct object in place was read. */
  lastInPlaceAt = 0;
  /** The largest of inPlaceAtMs (ms since epoch), NaN before any. */
  lastInPlaceAtMs = Number.NaN;
  private readonly inPlace = new Set<string>();
  /** appliedAtMs of `configured` events, per node id and resource id. */
  private readonly configured = new Map<string, number[]>();
  private readonly stopping = new AbortController();
  private reading: Promise<void> | undefined;
  private readError: unknown;

  constructor(
    private readonly kafka: Kafka,
    private readonly prefix: string,
  ) {}

  /** Starts following; resolves once everything already in the topic was read. */
  async follow(options: FollowOptions = {}): Promise<void> {
    const topic = auditTopic(this.prefix);
    if (options.waitForTopicMs !== undefined)
      await this.waitForTopic(topic, options.waitForTopicMs, options.abandon);
    await new Promise<void>((caughtUp, failed) => {
      this.reading = readTopic({
        kafka: this.kafka,
        topic,
        fromBeginning: true,
        follow: true,
        signal: this.stopping.signal,
        onCaughtUp: () => caughtUp(),
        onRecord: (record) => {
          if (record.value !== null) this.note(decodeAudit(record.value));
        },
      }).catch((error: unknown) => {
        this.readError = error;
        failed(error);
      });
    });
  }

  /** Distinct objects with an in-place event. */
  get objectsInPlace(): number {
    return this.inPlace.size;
  }

  /** appliedAtMs of the `configured` events of one resource of a node, oldest first. */
  configuredAtMs(nodeId: string, resourceId: string): readonly number[] {
    return this.configured.get(`${nodeId} ${resourceId}`) ?? [];
  }

  /** latencyMs (the row's commit time → applied) of the events with `action`, of one resource when given. */
  latenciesMs(action: string, resourceId?: string): number[] {
    return this.events
      .filter((e) => e.action === action && (resourceId === undefined || e.resourceId === resourceId))
      .flatMap((e) => (e.latencyMs === null ? [] : [Number(e.latencyMs)]));
  }

  /**
   * Resolves when `done()` holds, checked as events arrive. Rejects when
   * nothing progressed for `stallMs` (the message says what the audit
   * shows), when `abandon` rejects, or when reading failed.
   */
  async waitFor(what: string, done: () => boolean, options: AuditWaitOptions): Promise<void> {
    const progress = options.progress ?? (() => this.events.length);
    let abandoned: { error: unknown } | undefined;
    options.abandon?.catch((error: unknown) => {
      abandoned = { error };
    });
    let last = -1;
    let lastMove = performance.now();
    while (!done()) {
      if (this.readError !== undefined) throw this.readError;
      if (abandoned !== undefined) throw abandoned.error;
      const now = progress();
      if (now !== last) {
        last = now;
        lastMove = performance.now();
      } else if (performance.now() - lastMove > options.stallMs) {
        const problem = this.firstProblem === undefined ? '' : `; first problem: ${this.firstProblem}`;
        throw new Error(
          `waiting for ${what}: no progress in the audit for ${options.stallMs / 1000} s; ${this.objectsInPlace} objects ` +
            `in place (events by action: ${JSON.stringify(this.actions)})${problem}`,
        );
      }
      await sleep(50);
    }
  }

  /** Stops reading; rejects with the read's error if it failed. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.reading;
    if (this.readError !== undefined) throw this.readError;
  }

  private async waitForTopic(topic: string, timeoutMs: number, abandon?: Promise<unknown>): Promise<void> {
    let abandoned: { error: unknown } | undefined;
    abandon?.catch((error: unknown) => {
      abandoned = { error };
    });
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const deadline = performance.now() + timeoutMs;
      while (!(await admin.listTopics()).includes(topic)) {
        if (abandoned !== undefined) throw abandoned.error;
        if (performance.now() > deadline)
          throw new Error(`the sink did not create ${topic} within ${timeoutMs / 1000} s of starting`);
        await sleep(100);
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private note(event: DecodedAuditEvent): void {
    this.events.push(event);
    this.actions[event.action] = (this.actions[event.action] ?? 0) + 1;
    if (!IN_PLACE.has(event.action)) {
      this.firstProblem ??= `${event.action} ${event.nodeId}: ${event.reason}`;
      return;
    }
    if (event.object === null) return;
    const appliedAtMs = Number(event.appliedAtMs);
    if (event.action === 'configured') {
      const key = `${event.nodeId} ${event.resourceId}`;
      const times = this.configured.get(key) ?? [];
      times.push(appliedAtMs);
      this.configured.set(key, times);
    }
    const { kind, namespace, name } = event.object;
    const object = `${kind}/${namespace ?? ''}/${name}`;
    if (this.inPlace.has(object)) return;
    this.inPlace.add(object);
    this.inPlaceAtMs.push(appliedAtMs);
    this.lastInPlaceAt = performance.now();
    if (!(appliedAtMs <= this.lastInPlaceAtMs)) this.lastInPlaceAtMs = appliedAtMs;
  }
}
