import type { Kafka, KafkaMessage } from 'kafkajs';
import { KEY_SCHEMA_HEADER, type SchemaResolver } from '../../src/kafka/index.js';
import { type LatencySummary, summarize } from '../../support/percentiles.js';
import { measureLatency } from './latency-phase.js';
import { tenantNumber } from './tenant-rows.js';
import { TopicWatcher } from './topic-watcher.js';

// Added latency at a steady rate: tenant updates are committed at `rate` per
// second; one read_committed consumer notes when each update's change record
// becomes visible in the tenants change topic, another when the record it
// causes becomes visible in the output topic (the processor's desired topic,
// or the floor's output). The difference is what the stage in between adds,
// whatever capture took before it. Both consumers and the writer share this
// process and its clock.

export interface AddedLatencyOptions {
  kafka: Kafka;
  resolver: SchemaResolver;
  /** The tenants change topic. */
  changeTopic: string;
  outputTopic: string;
  /** Upserts tenant `id` (an update when it exists); resolves when COMMIT returned. */
  write: (id: number) => Promise<void>;
  rate: number;
  seconds: number;
  /** Tenants firstId… are updated, one update each; warm-up tenants are new ones from warmupId on. */
  firstId: number;
  warmupId: number;
  label: string;
  say: (line: string) => void;
}

export interface AddedLatencyFigures {
  /** Change record visible → output record visible: what the stage adds. */
  addedMs: LatencySummary;
  /** COMMIT returned → change record visible: capture, for scale. */
  commitToChangeMs: LatencySummary;
  /** COMMIT returned → output record visible: end to end. */
  commitToOutputMs: LatencySummary;
  sent: number;
  received: number;
  /** Written but no output within the grace period: should be 0. */
  lost: number;
  /** Output seen but its change record was not (the change consumer lagged): left out of addedMs. */
  unmatched: number;
  achievedRate: number;
  maxBehindMs: number;
}

export async function measureAddedLatency(options: AddedLatencyOptions): Promise<AddedLatencyFigures> {
  const { kafka, resolver, warmupId } = options;
  const changeSeenAt = new Map<number, number>();
  const tenantOf = async (message: KafkaMessage): Promise<number> => {
    const keySchema = message.headers?.[KEY_SCHEMA_HEADER]?.toString();
    if (message.key === null || keySchema === undefined) return Number.NaN;
    return tenantOfKey((await resolver.resolve(keySchema)).decode(message.key));
  };
  const latency = await measureLatency(
    {
      watch: async (onReceive) => {
        const changes = await TopicWatcher.start({
          kafka,
          topic: options.changeTopic,
          onMessage: async (message, receivedAt) => {
            const id = await tenantOf(message);
            if (!changeSeenAt.has(id)) changeSeenAt.set(id, receivedAt);
          },
        });
        const outputs = await TopicWatcher.start({
          kafka,
          topic: options.outputTopic,
          onMessage: async (message, receivedAt) => {
            const id = await tenantOf(message);
            if (Number.isNaN(id)) return;
            // Warm-up is over once both consumers are fetching: one warm-up
            // tenant seen by both.
            if (id >= warmupId && !changeSeenAt.has(id)) return;
            onReceive(id, receivedAt);
          },
        });
        return {
          stop: async () => {
            await outputs.stop();
            await changes.stop();
          },
        };
      },
      write: options.write,
    },
    {
      rate: options.rate,
      seconds: options.seconds,
      firstId: options.firstId,
      warmupId,
      label: options.label,
      say: options.say,
    },
  );
  const added: number[] = [];
  const commitToChange: number[] = [];
  const commitToOutput: number[] = [];
  let unmatched = 0;
  for (const [id, sent] of latency.sentAt) {
    const changed = changeSeenAt.get(id);
    const output = latency.receivedAt.get(id);
    if (changed !== undefined) commitToChange.push(changed - sent);
    if (output !== undefined) commitToOutput.push(output - sent);
    if (output !== undefined && changed === undefined) unmatched += 1;
    if (output !== undefined && changed !== undefined) added.push(output - changed);
  }
  return {
    addedMs: summarize(added),
    commitToChangeMs: summarize(commitToChange),
    commitToOutputMs: summarize(commitToOutput),
    sent: latency.sent,
    received: latency.received,
    lost: latency.lost,
    unmatched,
    achievedRate: latency.achievedRate,
    maxBehindMs: latency.maxBehindMs,
  };
}

/** A tenants change key ({ tenant_id }) or a desired key ("web/<uid>") → the tenant's number. */
function tenantOfKey(key: unknown): number {
  if (typeof key === 'string') return tenantNumber(key.slice(key.lastIndexOf('/') + 1));
  if (typeof key === 'object' && key !== null && 'tenant_id' in key)
    return tenantNumber(String((key as { tenant_id: unknown }).tenant_id));
  return Number.NaN;
}
