import type { Logger } from 'pino';
import { statusTableStore } from '../../connectors/status-table-store.js';
import type { RowkubeConfig } from '../core/config/config-schema.js';
import { type Kafka, registryClientFor, StatusView } from '../kafka/index.js';
import { syncStatusTable } from '../status/index.js';

// The status tables of the hubs that ask for one (`hubs[].status`): one
// follower of the status topic feeds every table. It runs beside the sink and
// never stops the pipeline: a database that is away or a table that is wrong
// is logged and tried again (src/status/status-table-sync.ts).

export async function runStatusTables(options: {
  config: RowkubeConfig;
  kafka: Kafka;
  logger: Logger;
  signal: AbortSignal;
}): Promise<void> {
  const { config, kafka, logger, signal } = options;
  const hubs = config.hubs.filter((hub) => hub.status !== undefined);
  if (hubs.length === 0) return;
  const registry = registryClientFor(config.schemaRegistry);
  // The sink creates the status topic; the follower may start first.
  const view = await StatusView.open({
    kafka,
    prefix: config.kafka.topicPrefix,
    registry,
    logger,
    signal,
    waitForTopic: true,
  });
  try {
    await Promise.all(
      hubs.map((hub) => {
        const status = hub.status as NonNullable<typeof hub.status>;
        const source = config.sources.find((s) => s.name === status.source);
        // Validation refused a status table in an unknown source.
        if (source === undefined) throw new TypeError(`hub ${hub.name}: no source '${status.source}'`);
        return syncStatusTable({
          hub: hub.name,
          forms: config.forms.filter((form) => form.hub === hub.name).map((form) => form.name),
          view,
          store: statusTableStore(source, status.table),
          signal,
          logger: logger.child({ hub: hub.name }),
        });
      }),
    );
  } finally {
    await view.close();
    await registry?.close();
  }
}
