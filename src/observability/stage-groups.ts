import { desiredTopic, inputTopics, processorGroupId, sinkGroupId } from '../contracts/index.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import type { WatchedGroup } from './consumer-lag.js';

// The consumer groups whose lag is each stage's lag. Lookup tables are read
// whole by every processor instance, outside any group: they have no lag here.

export function processorLagGroup(config: RowkubeConfig): WatchedGroup {
  const prefix = config.kafka.topicPrefix;
  return {
    stage: 'processor',
    groupId: processorGroupId(prefix),
    topics: inputTopics(prefix, config.hubs)
      .filter((input) => input.hub)
      .map((input) => input.topic),
  };
}

export function sinkLagGroup(config: RowkubeConfig): WatchedGroup {
  const prefix = config.kafka.topicPrefix;
  return { stage: 'sink', groupId: sinkGroupId(prefix), topics: [desiredTopic(prefix)] };
}
