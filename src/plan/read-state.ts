import { type DesiredValue, desiredTopic, inputTopics } from '../contracts/index.js';
import { clusterNames } from '../core/config/cluster-references.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import {
  type Kafka,
  type LatestByKey,
  readCompactedTopic,
  readTopic,
  registryClientFor,
  SchemaRegistry,
} from '../kafka/index.js';
import { decodeChange } from '../processor/desired/change-input.js';
import { Materializer } from '../processor/materializer/index.js';

// The state a plan starts from, read without a consumer group of its own and
// without writing anything: every hub and lookup row of the NEW configuration
// from the compacted change topics (the latest row per key, as the
// processor's take-over rebuilds its hub rows, hub-rebuild.ts, and follows
// lookups, lookup-follower.ts), held by a Materializer built from the new
// configuration; and what `<prefix>.desired` holds per node now (what the
// running pipeline wants), to find the nodes and resources that would go.

export interface PlanState {
  /** The rows of every hub and lookup table of the new configuration. */
  materializer: Materializer;
  /** What the desired topic holds: node id → its record (tombstoned nodes are not in `latest`). */
  desired: LatestByKey<DesiredValue>;
  /** Change records read. */
  changeRecords: number;
}

export async function readPlanState(options: {
  config: RowkubeConfig;
  kafka: Kafka;
  signal: AbortSignal;
  onProgress?: (line: string) => void;
}): Promise<PlanState> {
  const { config, kafka, signal } = options;
  const prefix = config.kafka.topicPrefix;
  const registryClient = registryClientFor(config.schemaRegistry);
  try {
    const registry = await SchemaRegistry.open({ kafka, prefix, registry: registryClient });
    const materializer = new Materializer({
      hubs: config.hubs,
      forms: config.forms,
      clusters: clusterNames(config.kubernetes),
    });
    let changeRecords = 0;
    for (const input of inputTopics(prefix, config.hubs)) {
      // Whole, to the end as of now: the plan owns every partition, and a
      // table that is both a hub and a lookup is stored as both ('any').
      await readTopic({
        kafka,
        topic: input.topic,
        fromBeginning: true,
        follow: false,
        // A table the new configuration adds has no topic until capture runs: no rows yet.
        allowMissing: true,
        signal,
        onRecord: async (record) => {
          const { change } = await decodeChange(input, record, registry);
          materializer.state.apply(change);
          changeRecords += 1;
        },
      });
      options.onProgress?.(`read ${input.topic} (${changeRecords} change records so far)`);
    }
    const desired = await readCompactedTopic<DesiredValue>({
      kafka,
      topic: desiredTopic(prefix),
      resolver: registry,
      signal,
      allowMissing: true,
    });
    options.onProgress?.(`read ${desiredTopic(prefix)} (${desired.latest.size} node records)`);
    return { materializer, desired, changeRecords };
  } finally {
    registryClient?.close();
  }
}
