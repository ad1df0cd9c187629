import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseKind } from '../../support/admin-database.js';
import {
  expectQuietOutage,
  FaultPipeline,
  type OutageWatch,
  reasonsOf,
  watchOutage,
} from '../../support/fault-pipeline.js';
import { databasePart, startStackParts, stopStackParts } from '../../support/stack-control.js';

// Issue 10, "start-up that waits": the database is down when `rowkube run`
// starts and comes up 20 s later. rowkube must keep running, say on /readyz
// that capture waits for the database, log warnings rather than a burst of
// errors, and carry a row written after the database is back to the cluster.
// Both databases are down at once (one outage for both), each with its own
// `rowkube run`. Stops stack parts: run under the stack lock.

const KINDS: DatabaseKind[] = ['mariadb', 'postgres'];
const OUTAGE_MS = 20_000;

describe('Faults > the database is down when rowkube run starts', () => {
  const pipelines = new Map(KINDS.map((kind) => [kind, new FaultPipeline(kind)]));
  const watches = new Map<DatabaseKind, OutageWatch>();
  let outage = { from: 0, to: 0 };
  let stopped = false;

  beforeAll(async () => {
    for (const pipeline of pipelines.values()) await pipeline.prepare();
    stopped = true;
    await stopStackParts(KINDS.map(databasePart));
    outage = { from: Date.now(), to: 0 };
    for (const pipeline of pipelines.values()) pipeline.start();
    const seen = await watchOutage([...pipelines.values()], OUTAGE_MS);
    outage.to = Date.now();
    for (const [i, kind] of KINDS.entries()) watches.set(kind, seen[i] as OutageWatch);
    await startStackParts(KINDS.map(databasePart));
    stopped = false;
  }, 180_000);

  afterAll(async () => {
    // Whatever happened, the shared stack is left whole.
    if (stopped) await startStackParts(KINDS.map(databasePart));
    for (const pipeline of pipelines.values()) await pipeline.close();
  }, 180_000);

  it.each(KINDS)('%s: rowkube kept running through the outage', (kind) => {
    const pipeline = pipelines.get(kind) as FaultPipeline;
    const watch = watches.get(kind) as OutageWatch;
    expect(
      watch.exitCode,
      `rowkube run exited during the outage:\n${pipeline.rowkube.lastOutput(15)}`,
    ).toBeNull();
  });

  it.each(KINDS)('%s: /readyz named the database during the outage', (kind) => {
    const pipeline = pipelines.get(kind) as FaultPipeline;
    const watch = watches.get(kind) as OutageWatch;
    const reasons = reasonsOf(watch, pipeline.captureComponent);
    expect(
      reasons.some((reason) => /database|mariadb|mysql|postgres/i.test(reason)),
      reasons.join('\n'),
    ).toBe(true);
  });

  it.each(KINDS)('%s: the outage was logged as warnings, not errors', (kind) => {
    expectQuietOutage(pipelines.get(kind) as FaultPipeline, outage.from, outage.to);
  });

  it.each(KINDS)(
    '%s: a row written after the database is back reaches the cluster; ready again',
    async (kind) => {
      const pipeline = pipelines.get(kind) as FaultPipeline;
      await pipeline.upsert('acme', 'gold');
      await pipeline.until('the acme ConfigMap', async () =>
        (await pipeline.plan('acme')) === 'gold' ? true : undefined,
      );
      const ready = await pipeline.until('/readyz 200', async () => {
        const answer = await pipeline.readyz();
        return answer?.status === 200 ? answer : undefined;
      });
      expect(ready.report.ready).toBe(true);
    },
  );
});
