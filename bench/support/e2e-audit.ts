import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { auditTopic, type DecodedAuditEvent } from '../../src/contracts/index.js';
import { decodeAudit, readTopic } from '../../src/kafka/index.js';

// The end-to-end bench's only view of the cluster side: `<prefix>.audit`,
// followed read_committed as any audit consumer reads it. The times come from
// the events themselves (appliedAtMs, the sink's clock when the action
// finished), not from when this consumer happened to read them.

/** Actions after which the object exists as desired. */
const IN_PLACE = new Set(['created', 'configured', 'unchanged']);
/** The sink creates the audit topic when it starts; this is how long that may take. */
const TOPIC_WAIT_MS = 60_000;

export class E2eAuditLog {
  /** Events per action, every action the sink wrote. */
  readonly actions: Record<string, number> = {};
  /** The first event that is not an object in place, for the message when a phase stalls. */
  firstProblem: string | undefined;
  /** appliedAtMs of each distinct object's first in-place event. */
  private readonly inPlace = new Map<string, number>();
  /** Per node id, appliedAtMs of each `configured` event of the watched resource, in arrival order. */
  private readonly updates = new Map<string, number[]>();
  /** Commit → applied by the event's own latencyMs (binlog commit time), for the watched resource's `configured` events. */
  readonly updateLatencyByAuditMs: number[] = [];
  private events = 0;
  private readonly stop = new AbortController();
  private reading: Promise<void> | undefined;
  private readError: unknown;

  constructor(
    private readonly kafka: Kafka,
    private readonly prefix: string,
    /** The form resource whose `configured` events are the steady-rate phase's updates. */
    private readonly watchedResource: string,
  ) {}

  /** Waits for the topic (the sink creates it), follows it; resolves once everything already in it was read. */
  async start(abandon: Promise<unknown>): Promise<void> {
    const topic = auditTopic(this.prefix);
    await this.waitForTopic(topic, abandon);
    await new Promise<void>((caughtUp, failed) => {
      this.reading = readTopic({
        kafka: this.kafka,
        topic,
        fromBeginning: true,
        follow: true,
        signal: this.stop.signal,
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

  /** The latest first-in-place time over every object (ms since epoch), NaN before any. */
  get lastInPlaceAtMs(): number {
    return this.inPlace.size === 0 ? Number.NaN : Math.max(...this.inPlace.values());
  }

  /** appliedAtMs of the watched resource's `configured` events for `nodeId`, oldest first. */
  updatesOf(nodeId: string): readonly number[] {
    return this.updates.get(nodeId) ?? [];
  }

  /**
   * Resolves when `done()` holds, checked as events arrive. Rejects when no
   * event arrived for `stallMs` (the pipeline stopped making progress: the
   * message says what the audit shows), or when `abandon` rejects (a stage
   * of the pipeline failed).
   */
  async waitFor(
    what: string,
    done: () => boolean,
    stallMs: number,
    abandon: Promise<unknown>,
  ): Promise<void> {
    let abandoned: { error: unknown } | undefined;
    abandon.catch((error: unknown) => {
      abandoned = { error };
    });
    let lastEvents = -1;
    let lastMove = performance.now();
    while (!done()) {
      if (this.readError !== undefined) throw this.readError;
      if (abandoned !== undefined) throw abandoned.error;
      if (this.events !== lastEvents) {
        lastEvents = this.events;
        lastMove = performance.now();
      } else if (performance.now() - lastMove > stallMs) {
        const problem = this.firstProblem === undefined ? '' : `; first problem: ${this.firstProblem}`;
        throw new Error(
          `waiting for ${what}: no audit event for ${stallMs / 1000} s; ${this.objectsInPlace} objects in place ` +
            `(events by action: ${JSON.stringify(this.actions)})${problem}`,
        );
      }
      await sleep(50);
    }
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.reading;
  }

  private async waitForTopic(topic: string, abandon: Promise<unknown>): Promise<void> {
    let abandoned: { error: unknown } | undefined;
    abandon.catch((error: unknown) => {
      abandoned = { error };
    });
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const deadline = performance.now() + TOPIC_WAIT_MS;
      while (!(await admin.listTopics()).includes(topic)) {
        if (abandoned !== undefined) throw abandoned.error;
        if (performance.now() > deadline)
          throw new Error(`the sink did not create ${topic} within ${TOPIC_WAIT_MS / 1000} s of starting`);
        await sleep(200);
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private note(event: DecodedAuditEvent): void {
    this.events++;
    this.actions[event.action] = (this.actions[event.action] ?? 0) + 1;
    if (!IN_PLACE.has(event.action)) {
      this.firstProblem ??= `${event.action} ${event.nodeId}: ${event.reason}`;
      return;
    }
    if (event.object === null) return;
    const appliedAtMs = Number(event.appliedAtMs);
    const { kind, namespace, name } = event.object;
    const key = `${kind}/${namespace ?? ''}/${name}`;
    if (!this.inPlace.has(key)) this.inPlace.set(key, appliedAtMs);
    if (event.action === 'configured' && event.resourceId === this.watchedResource) {
      const times = this.updates.get(event.nodeId) ?? [];
      times.push(appliedAtMs);
      this.updates.set(event.nodeId, times);
      if (event.latencyMs !== null) this.updateLatencyByAuditMs.push(Number(event.latencyMs));
    }
  }
}
