import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseKind } from '../../support/admin-database.js';
import {
  expectQuietOutage,
  FaultPipeline,
  type OutageWatch,
  reasonsOf,
  WARN,
  watchOutage,
} from '../../support/fault-pipeline.js';
import {
  databasePart,
  type StackPart,
  startStackParts,
  stopStackParts,
} from '../../support/stack-control.js';
import { waitFor } from '../../support/wait-for.js';

// Issue 10, "start-up that waits": a dependency (the databases, or Kafka) is
// down when `rowkube run` starts and comes up 20 s later. rowkube must keep
// running, say on /readyz which dependency it waits for, log warnings rather
// than a burst of errors, and carry a row written after the dependency is back
// to the cluster. One outage for both databases, each with its own
// `rowkube run`. Stops stack parts: run under the stack lock.

const KINDS: DatabaseKind[] = ['mariadb', 'postgres'];
const OUTAGE_MS = 20_000;

interface Dependency {
  name: string;
  parts: StackPart[];
  /** /readyz during the outage named this dependency (a failure message when it did not). */
  named(watch: OutageWatch, pipeline: FaultPipeline): string | undefined;
}

const DEPENDENCIES: Dependency[] = [
  {
    name: 'the database',
    parts: KINDS.map(databasePart),
    named: (watch, pipeline) => {
      const reasons = reasonsOf(watch, pipeline.captureComponent);
      return reasons.some((reason) => /database|mariadb|mysql|postgres/i.test(reason))
        ? undefined
        : `${pipeline.captureComponent}: ${reasons.join('\n')}`;
    },
  },
  {
    name: 'Kafka',
    parts: ['kafka'],
    named: (watch) => {
      for (const component of ['processor', 'sink']) {
        const reasons = reasonsOf(watch, component);
        if (!reasons.some((reason) => reason.startsWith('waiting for Kafka: ')))
          return `${component}: ${reasons.join('\n')}`;
      }
      return undefined;
    },
  },
];

describe.each(DEPENDENCIES.map((dependency) => [dependency.name, dependency] as const))(
  'Faults > %s is down when rowkube run starts',
  (_name, dependency) => {
    const pipelines = new Map(KINDS.map((kind) => [kind, new FaultPipeline(kind)]));
    const watches = new Map<DatabaseKind, OutageWatch>();
    const outage = { from: 0, to: 0 };
    let stopped = false;

    beforeAll(async () => {
      for (const pipeline of pipelines.values()) await pipeline.prepare();
      stopped = true;
      await stopStackParts(dependency.parts);
      outage.from = Date.now();
      for (const pipeline of pipelines.values()) pipeline.start();
      const seen = await watchOutage([...pipelines.values()], OUTAGE_MS);
      // A cold start (the first rowkube of a fresh clone compiles every
      // module, beside other tests) may not have reached its first attempt
      // within the window: the dependency stays down until each process has
      // met the outage and said so.
      await waitFor(
        'each rowkube run to log the outage',
        () =>
          [...pipelines.values()].every(
            (pipeline) => pipeline.logLines(WARN, outage.from, Date.now()).length > 0,
          )
            ? true
            : undefined,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      outage.to = Date.now();
      for (const [i, kind] of KINDS.entries()) watches.set(kind, seen[i] as OutageWatch);
      await startStackParts(dependency.parts);
      stopped = false;
    }, 180_000);

    afterAll(async () => {
      // Whatever happened, the shared stack is left whole.
      if (stopped) await startStackParts(dependency.parts);
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

    it.each(KINDS)(`%s: /readyz named ${dependency.name} during the outage`, (kind) => {
      const pipeline = pipelines.get(kind) as FaultPipeline;
      expect(dependency.named(watches.get(kind) as OutageWatch, pipeline)).toBeUndefined();
    });

    it.each(KINDS)('%s: the outage was logged as warnings, not errors', (kind) => {
      expectQuietOutage(pipelines.get(kind) as FaultPipeline, outage.from, outage.to);
    });

    it.each(KINDS)(
      `%s: a row written after ${dependency.name} is back reaches the cluster; ready again`,
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
  },
);
