import type { InputTopic } from '../../contracts/index.js';
import { type Kafka, readTopic, type SchemaResolver, type TopicRecord } from '../../kafka/index.js';
import { type DecodedChange, decodeChange } from '../desired/change-input.js';

// Lookup tables (a tenant's feature flags) join hub rows by a column, not by
// the primary key the change topics are partitioned by, so every processor
// instance reads every lookup record, whichever partitions of the hubs it owns.
// Followed without a consumer group: on start each instance reads them from
// the beginning (compacted, so one record per row) and keeps following.

export interface LookupFollowing {
  /** Resolves once each lookup topic has been read up to where it ended when following began. */
  caughtUp: Promise<void>;
  /** Rejects when following fails; resolves when the signal stops it. */
  done: Promise<void>;
}

export function followLookups(options: {
  kafka: Kafka;
  inputs: readonly InputTopic[];
  resolver: SchemaResolver;
  signal: AbortSignal;
  /** Called in offset order per partition; the next record waits for it. */
  onChange: (change: DecodedChange, record: TopicRecord) => Promise<void>;
}): LookupFollowing {
  const { kafka, inputs, resolver, signal, onChange } = options;
  const caught: Promise<void>[] = [];
  const reads: Promise<void>[] = [];
  for (const input of inputs) {
    let markCaughtUp: () => void = () => undefined;
    caught.push(
      new Promise<void>((resolve) => {
        markCaughtUp = resolve;
      }),
    );
    reads.push(
      readTopic({
        kafka,
        topic: input.topic,
        fromBeginning: true,
        follow: true,
        signal,
        onCaughtUp: () => markCaughtUp(),
        onRecord: async (record) => onChange(await decodeChange(input, record, resolver), record),
      }).finally(() => markCaughtUp()),
    );
  }
  const done = Promise.all(reads).then(() => undefined);
  done.catch(() => undefined);
  return { caughtUp: Promise.all(caught).then(() => undefined), done };
}
