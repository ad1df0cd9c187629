import type { Admin } from 'kafkajs';
import { toKafkaError } from '../kafka/kafka-errors.js';

// How far back `--at` can be trusted. The desired topic is compacted: the
// cleaner keeps only each node's newest record, but never touches records
// younger than min.compaction.lag.ms (src/kafka/topics.ts sets it when it
// creates the topic). Before that window a node's older versions may be gone,
// so a replay as of such a time can show a newer version, or miss a node
// whose tombstone was cleaned away too.

/**
 * kafkajs's ConfigResourceTypes.TOPIC. The enum exists only in its type
 * declarations' view of the module: as ESM, kafkajs (CommonJS) does not export
 * it by name.
 */
const TOPIC_RESOURCE = 2;

/** The desired topic's min.compaction.lag.ms, or undefined when the topic is not compacted. */
export async function compactionLagMs(
  admin: Pick<Admin, 'describeConfigs'>,
  topic: string,
): Promise<number | undefined> {
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: TOPIC_RESOURCE,
          name: topic,
          configNames: ['cleanup.policy', 'min.compaction.lag.ms'],
        },
      ],
    });
    const entries = resources[0]?.configEntries ?? [];
    const value = (name: string) => entries.find((entry) => entry.configName === name)?.configValue;
    if (!(value('cleanup.policy') ?? '').includes('compact')) return undefined;
    return Number(value('min.compaction.lag.ms') ?? 0);
  } catch (error) {
    throw toKafkaError(`reading the configuration of topic '${topic}'`, error);
  }
}

/** Why a replay as of atMs may be incomplete, or undefined when the time is inside the window. */
export function historyWarning(atMs: number, nowMs: number, lagMs: number | undefined): string | undefined {
  if (lagMs === undefined) return undefined;
  const oldest = nowMs - lagMs;
  if (atMs >= oldest) return undefined;
  return (
    `--at ${new Date(atMs).toISOString()} is older than the desired topic's compaction window ` +
    `(min.compaction.lag.ms ${lagMs}: versions are kept since ${new Date(oldest).toISOString()}); ` +
    'versions from before it may have been compacted away, so nodes can show a newer version or be missing'
  );
}
