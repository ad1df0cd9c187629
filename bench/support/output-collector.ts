import type { Kafka } from 'kafkajs';
import { VALUE_SCHEMA_HEADER } from '../../src/kafka/index.js';
import { TopicWatcher } from './topic-watcher.js';

// The throughput phases' receiving end: a topic watcher (topic-watcher.ts)
// from the output topic's beginning, which notes when records become visible.
// It does no decoding while the clock runs: keys are kept as raw bytes, and
// with `keepLatest` the latest raw value per key, for a check afterwards.

export interface CollectedRecord {
  key: Buffer | null;
  value: Buffer | null;
  /** The value's writer schema id, when the record names one. */
  valueSchema: string | undefined;
}

export interface CollectorOptions {
  kafka: Kafka;
  topic: string;
  /** Keep the latest record per key (for a check of the output after the run). */
  keepLatest: boolean;
}

export class OutputCollector {
  /** Records received. */
  records = 0;
  /** Records that came in the first batch: the rate is measured over the ones after it. */
  firstBatchRecords = 0;
  /** performance.now() of the first and of the latest batch received. */
  firstAt: number | undefined;
  lastAt: number | undefined;
  /** process.cpuUsage() at the first and at the latest batch: the CPU spent while records flowed. */
  cpuAtFirst: NodeJS.CpuUsage | undefined;
  cpuAtLast: NodeJS.CpuUsage | undefined;
  /** Distinct keys seen, as latin1 text of their bytes. */
  readonly keys = new Set<string>();
  /** With keepLatest: the latest record per key (same text as `keys`). */
  readonly latest = new Map<string, CollectedRecord>();

  private watcher: TopicWatcher | undefined;

  static async start({ kafka, topic, keepLatest }: CollectorOptions): Promise<OutputCollector> {
    const collector = new OutputCollector();
    collector.watcher = await TopicWatcher.start({
      kafka,
      topic,
      fromBeginning: true,
      onBatch: (messages, receivedAt) => {
        const cpu = process.cpuUsage();
        if (collector.firstAt === undefined) {
          collector.firstAt = receivedAt;
          collector.cpuAtFirst = cpu;
          collector.firstBatchRecords = messages.length;
        }
        collector.lastAt = receivedAt;
        collector.cpuAtLast = cpu;
        collector.records += messages.length;
        for (const message of messages) {
          const key = message.key?.toString('latin1') ?? '';
          collector.keys.add(key);
          if (keepLatest) {
            const schema = message.headers?.[VALUE_SCHEMA_HEADER];
            collector.latest.set(key, {
              key: message.key,
              value: message.value,
              valueSchema: schema === undefined ? undefined : String(schema),
            });
          }
        }
      },
    });
    return collector;
  }

  /** Records per second after the first batch: (records − first batch) ÷ (first batch → latest batch). */
  ratePerSec(): number {
    if (this.firstAt === undefined || this.lastAt === undefined || this.lastAt <= this.firstAt) return 0;
    return (this.records - this.firstBatchRecords) / ((this.lastAt - this.firstAt) / 1000);
  }

  /** CPU of this whole process between the first and the latest batch, in % of one core. */
  cpuPercent(): number {
    if (this.cpuAtFirst === undefined || this.cpuAtLast === undefined) return 0;
    if (this.firstAt === undefined || this.lastAt === undefined || this.lastAt <= this.firstAt) return 0;
    const micros =
      this.cpuAtLast.user - this.cpuAtFirst.user + (this.cpuAtLast.system - this.cpuAtFirst.system);
    return Math.round((micros / 1000 / (this.lastAt - this.firstAt)) * 100);
  }

  async stop(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.stop();
  }
}
