import { afterAll, describe, expect, it } from 'vitest';
import type { OpenedCaptureSink } from '../../src/app/capture-sources.js';
import type { ChangeSink, CommitInfo, RowChange } from '../../src/core/change-event.js';
import { openAdminDatabase } from '../../support/admin-database.js';
import { configFrom } from '../../support/config-file.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { startStages } from '../../support/stage-run.js';
import { waitFor } from '../../support/wait-for.js';

// The capture stage's sink seam (startPipeline's capture.wrapSink), which the
// capture bench times rows through: the wrapper is handed the source's sink
// once it opened, the connector then calls the wrapper, and the Kafka sink's
// counters are readable beside it.
const env = stackEnv();

describe('startPipeline > capture > wrapSink', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it("sees the connector's calls and the Kafka sink's counters of each source", async () => {
    const table = uniqueName('seam');
    const source = uniqueName('src');
    const db = await openAdminDatabase('mariadb');
    cleanups.push(() => db.close());
    await db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, note VARCHAR(32))`);
    cleanups.push(() => db.exec(`DROP TABLE IF EXISTS ${table}`));
    const config = configFrom({
      kafka: { brokers: env.kafkaBrokers, topicPrefix: uniqueName('rk') },
      sources: [{ name: source, mysql: { url: db.captureUrl }, tables: [table] }],
    });
    const opened: OpenedCaptureSink[] = [];
    const appended: RowChange[] = [];
    const committed: CommitInfo[] = [];
    const run = startStages(config, ['capture'], {
      capture: {
        wrapSink: (inner, sink): ChangeSink => {
          opened.push(sink);
          return {
            append: (change) => {
              appended.push(change);
              return inner.append(change);
            },
            commit: (info) =>
              inner.commit(info).then(() => {
                committed.push(info);
              }),
            abort: () => inner.abort?.(),
          };
        },
      },
    });
    cleanups.push(() => run.stop());
    const polling = { timeoutMs: 60_000, intervalMs: 50, abandon: run.died };
    // The first commit is the (empty) snapshot's: from then on rows are streamed.
    await waitFor('the first snapshot', () => (committed.length > 0 ? true : undefined), polling);
    await db.exec(`INSERT INTO ${table} VALUES (1, 'through the seam')`);
    await waitFor(
      'the row committed through the wrapper',
      () => (committed.length > 1 && appended.some((c) => c.after?.id === 1) ? true : undefined),
      polling,
    );
    expect(opened.map((sink) => sink.source)).toEqual([source]);
    expect(opened[0]?.stats().events).toBeGreaterThanOrEqual(1);
    expect(opened[0]?.stats().transactions).toBeGreaterThanOrEqual(1);
  });
});
