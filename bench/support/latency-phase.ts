import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { writePaced } from '../../support/paced-writer.js';
import { type LatencySummary, summarize } from '../../support/percentiles.js';

// Write-to-visible latency at a steady rate, for anything that writes rows by
// id and lets a consumer see them by id: capture (write = a database COMMIT)
// and the Kafka floor (write = hand one message to a transactional producer).
// Writer and consumer share this process and its clock (performance.now()).

export interface LatencyProbe {
  /** Starts a consumer that reports each id it receives; resolves once it is connected. */
  watch(onReceive: (id: number, receivedAt: number) => void): Promise<{ stop(): Promise<void> }>;
  /** Writes row `id`; resolves once the write is committed (database) or handed over (floor). */
  write(id: number): Promise<void>;
}

export interface LatencyOptions {
  rate: number;
  seconds: number;
  /** Ids firstId… are measured; warm-up rows use ids from warmupId on. */
  firstId: number;
  warmupId: number;
  /** Printed while waiting, e.g. "mariadb". */
  label: string;
  say: (line: string) => void;
}

export interface LatencyResult {
  latencyMs: LatencySummary;
  sent: number;
  received: number;
  /** Written but not received within the grace period after the last write: should be 0. */
  lost: number;
  achievedRate: number;
  maxBehindMs: number;
  /** When each measured id's write returned, and when it arrived: for derived figures (floor). */
  sentAt: Map<number, number>;
  receivedAt: Map<number, number>;
}

const WARMUP_TIMEOUT_MS = 60_000;
const GRACE_MS = 15_000;

export async function measureLatency(probe: LatencyProbe, options: LatencyOptions): Promise<LatencyResult> {
  const sentAt = new Map<number, number>();
  const receivedAt = new Map<number, number>();
  let warm = false;
  const watcher = await probe.watch((id, at) => {
    if (id >= options.warmupId) warm = true;
    else if (!receivedAt.has(id)) receivedAt.set(id, at);
  });
  try {
    // The consumer has joined its group but may not have fetched its start
    // offset yet: rows written before that would be missed, not late. Write
    // warm-up rows until one arrives; that also warms every connection.
    const deadline = performance.now() + WARMUP_TIMEOUT_MS;
    for (let id = options.warmupId; !warm; id++) {
      if (performance.now() > deadline)
        throw new Error(`${options.label}: no warm-up row arrived within ${WARMUP_TIMEOUT_MS} ms`);
      await probe.write(id);
      await sleep(250);
    }
    options.say(
      `${options.label}: latency: ${options.rate} single-row transactions/s for ${options.seconds} s`,
    );
    const paced = await writePaced(options.rate, options.seconds, async (i) => {
      const id = options.firstId + i;
      await probe.write(id);
      sentAt.set(id, performance.now());
    });
    const graceEnd = performance.now() + GRACE_MS;
    while (receivedAt.size < sentAt.size && performance.now() < graceEnd) await sleep(20);

    const latencies: number[] = [];
    for (const [id, sent] of sentAt) {
      const received = receivedAt.get(id);
      if (received !== undefined) latencies.push(received - sent);
    }
    return {
      latencyMs: summarize(latencies),
      sent: sentAt.size,
      received: latencies.length,
      lost: sentAt.size - latencies.length,
      achievedRate: paced.achievedRate,
      maxBehindMs: paced.maxBehindMs,
      sentAt,
      receivedAt,
    };
  } finally {
    await watcher.stop();
  }
}
