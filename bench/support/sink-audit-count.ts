import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import { auditTopic } from '../../src/contracts/index.js';
import { decodeAudit, readTopic } from '../../src/kafka/index.js';

// The sink phase's finish line: follows `<prefix>.audit` (read_committed, as
// any audit consumer reads it) and notes when every object of the run has an
// event saying it is in place. What counts is distinct objects, so that an
// object applied twice (a retry whose first attempt reached the server) is
// not counted twice; `created` events are counted on their own as well.

/** Actions after which the object exists as desired. */
const IN_PLACE = new Set(['created', 'configured', 'unchanged']);

export interface AuditTally {
  /** Events per action, every action the sink wrote. */
  actions: Record<string, number>;
  /** Distinct objects with an in-place event. */
  objectsInPlace: number;
  /** appliedAtMs of each object's first in-place event, sink clock (ms since epoch). */
  appliedAtMs: number[];
  /** latencyMs of the created events (commit time → applied). */
  latencyMs: number[];
  /** The first failure-like event's reason, for the error message when the run stalls. */
  firstProblem: string | undefined;
}

export class AuditCounter {
  readonly tally: AuditTally = {
    actions: {},
    objectsInPlace: 0,
    appliedAtMs: [],
    latencyMs: [],
    firstProblem: undefined,
  };
  /** performance.now() when the last in-place object was read. */
  lastInPlaceAt = 0;
  private readonly seen = new Set<string>();
  private readonly stop = new AbortController();
  private reading: Promise<void> | undefined;
  private readError: unknown;

  constructor(
    private readonly kafka: Kafka,
    private readonly prefix: string,
  ) {}

  /** Starts following the topic; resolves once everything already in it was read. */
  start(): Promise<void> {
    return new Promise<void>((caughtUp, failed) => {
      this.reading = readTopic({
        kafka: this.kafka,
        topic: auditTopic(this.prefix),
        fromBeginning: true,
        follow: true,
        signal: this.stop.signal,
        onCaughtUp: () => caughtUp(),
        onRecord: (record) => {
          if (record.value !== null) this.count(decodeAudit(record.value));
        },
      }).catch((error: unknown) => {
        this.readError = error;
        failed(error);
      });
    });
  }

  /**
   * Resolves when `objects` distinct objects are in place. Rejects when the
   * count has not moved for `stallMs` (the sink stopped making progress: the
   * message says what the audit shows), or when `abandon` rejects (the sink
   * failed).
   */
  async waitForObjects(objects: number, stallMs: number, abandon: Promise<unknown>): Promise<void> {
    let lastCount = -1;
    let lastMove = performance.now();
    let sinkFailure: unknown;
    let sinkFailed = false;
    abandon.catch((error: unknown) => {
      sinkFailed = true;
      sinkFailure = error;
    });
    while (this.tally.objectsInPlace < objects) {
      if (this.readError !== undefined) throw this.readError;
      if (sinkFailed) throw sinkFailure;
      if (this.tally.objectsInPlace !== lastCount) {
        lastCount = this.tally.objectsInPlace;
        lastMove = performance.now();
      } else if (performance.now() - lastMove > stallMs) {
        const problem =
          this.tally.firstProblem === undefined ? '' : `; first problem: ${this.tally.firstProblem}`;
        throw new Error(
          `the audit showed ${lastCount} of ${objects} objects in place and no progress for ${stallMs / 1000} s ` +
            `(events by action: ${JSON.stringify(this.tally.actions)})${problem}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.reading;
  }

  private count(event: ReturnType<typeof decodeAudit>): void {
    const { actions } = this.tally;
    actions[event.action] = (actions[event.action] ?? 0) + 1;
    if (!IN_PLACE.has(event.action)) {
      this.tally.firstProblem ??= `${event.action} ${event.nodeId}: ${event.reason}`;
      return;
    }
    if (event.action === 'created' && event.latencyMs !== null)
      this.tally.latencyMs.push(Number(event.latencyMs));
    if (event.object === null) return;
    const { kind, namespace, name } = event.object;
    const key = `${kind}/${namespace ?? ''}/${name}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.tally.objectsInPlace += 1;
    this.tally.appliedAtMs.push(Number(event.appliedAtMs));
    this.lastInPlaceAt = performance.now();
  }
}
