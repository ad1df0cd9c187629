import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseKind } from '../../support/admin-database.js';
import {
  expectQuietOutage,
  FaultPipeline,
  type OutageWatch,
  reasonsOf,
  watchOutage,
} from '../../support/fault-pipeline.js';
import { startStackParts, stopStackParts } from '../../support/stack-control.js';

// Issue 10, "start-up that waits": Kafka is down when `rowkube run` starts and
// comes up 20 s later. rowkube must keep running, say on /readyz that its
// stages wait for Kafka, log warnings rather than a burst of errors, and
// carry a row written after Kafka is back to the cluster. One outage for both
// databases, each with its own `rowkube run`. Stops stack parts: run under
// the stack lock.

const KINDS: DatabaseKind[] = ['mariadb', 'postgres'];
const OUTAGE_MS = 20_000;

describe('Faults > Kafka is down when rowkube run starts', () => {
  const pipelines = new Map(KINDS.map((kind) => [kind, new FaultPipeline(kind)]));
  const watches = new Map<DatabaseKind, OutageWatch>();
  const outage = { from: 0, to: 0 };
  let stopped = false;

  beforeAll(async () => {
    for (const pipeline of pipelines.values()) await pipeline.prepare();
    stopped = true;
    await stopStackParts(['kafka']);
    outage.from = Date.now();
    for (const pipeline of pipelines.values()) pipeline.start();
    const seen = await watchOutage([...pipelines.values()], OUTAGE_MS);
    outage.to = Date.now();
    for (const [i, kind] of KINDS.entries()) watches.set(kind, seen[i] as OutageWatch);
    await startStackParts(['kafka']);
    stopped = false;
  }, 180_000);

  afterAll(async () => {
    // Whatever happened, the shared stack is left whole.
    if (stopped) await startStackParts(['kafka']);
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

  it.each(KINDS)('%s: /readyz named Kafka during the outage', (kind) => {
    const watch = watches.get(kind) as OutageWatch;
    for (const component of ['processor', 'sink']) {
      const reasons = reasonsOf(watch, component);
      expect(
        reasons.some((reason) => reason.startsWith('waiting for Kafka: ')),
        `${component}: ${reasons.join('\n')}`,
      ).toBe(true);
    }
  });

  it.each(KINDS)('%s: the outage was logged as warnings, not errors', (kind) => {
    expectQuietOutage(pipelines.get(kind) as FaultPipeline, outage.from, outage.to);
  });

  it.each(KINDS)('%s: a row written after Kafka is back reaches the cluster; ready again', async (kind) => {
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
  });
});
