import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseKind } from '../../support/admin-database.js';
import {
  expectQuietOutage,
  FaultPipeline,
  type OutageWatch,
  reasonsOf,
  watchOutage,
} from '../../support/fault-pipeline.js';
import { type StackPart, startStackParts, stopStackParts } from '../../support/stack-control.js';

// Issue 10, "start-up that waits", mid-run: a dependency stops for 20 s
// while rows change — an insert, updates, a delete. The Kubernetes control
// plane (`stack down kube`: etcd, kube-apiserver and the controllers; etcd
// keeps its data) or Kafka (its log stays). rowkube must wait it out without
// losing anything: afterwards every tenant's objects hold the newest values
// and the deleted tenant's are gone. /readyz names the dependency meanwhile.
// One outage for both databases, each with its own `rowkube run`. Stops stack
// parts: run under the stack lock.

const KINDS: DatabaseKind[] = ['mariadb', 'postgres'];
const OUTAGE_MS = 20_000;

interface Dependency {
  name: string;
  part: StackPart;
  /** The /readyz reason that names it. */
  reason: string;
  /** The component that must give it; any component when absent (every stage talks to Kafka). */
  component?: string;
}

const DEPENDENCIES: Dependency[] = [
  {
    name: 'the Kubernetes API server',
    part: 'kube',
    reason: 'waiting for the Kubernetes API server: ',
    component: 'sink',
  },
  { name: 'Kafka', part: 'kafka', reason: 'waiting for Kafka: ' },
];

describe.each(DEPENDENCIES.map((dependency) => [dependency.name, dependency] as const))(
  'Faults > %s stops for 20 s while rows change',
  (_name, dependency) => {
    const pipelines = new Map(KINDS.map((kind) => [kind, new FaultPipeline(kind)]));
    const watches = new Map<DatabaseKind, OutageWatch>();
    const outage = { from: 0, to: 0 };
    let stopped = false;

    beforeAll(async () => {
      for (const pipeline of pipelines.values()) {
        await pipeline.prepare();
        pipeline.start();
      }
      for (const pipeline of pipelines.values()) {
        for (const uid of ['alpha', 'bravo', 'charlie']) await pipeline.upsert(uid, 'basic');
      }
      for (const pipeline of pipelines.values()) {
        await pipeline.until('the three tenants applied', async () =>
          (await pipeline.plan('alpha')) === 'basic' &&
          (await pipeline.plan('bravo')) === 'basic' &&
          (await pipeline.plan('charlie')) === 'basic'
            ? true
            : undefined,
        );
      }

      stopped = true;
      await stopStackParts([dependency.part]);
      outage.from = Date.now();
      // Rows change while the dependency is away: a new tenant, updates (one
      // twice: only the newest value may land), a delete.
      for (const pipeline of pipelines.values()) {
        await pipeline.upsert('delta', 'gold');
        await pipeline.upsert('alpha', 'silver');
        await pipeline.upsert('charlie', 'silver');
        await pipeline.upsert('charlie', 'platinum');
        await pipeline.remove('bravo');
      }
      const seen = await watchOutage([...pipelines.values()], OUTAGE_MS - (Date.now() - outage.from));
      outage.to = Date.now();
      for (const [i, kind] of KINDS.entries()) watches.set(kind, seen[i] as OutageWatch);
      await startStackParts([dependency.part]);
      stopped = false;
    }, 240_000);

    afterAll(async () => {
      // Whatever happened, the shared stack is left whole.
      if (stopped) await startStackParts([dependency.part]);
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
      const watch = watches.get(kind) as OutageWatch;
      const components =
        dependency.component === undefined ? [...watch.reasons.keys()] : [dependency.component];
      const reasons = components.flatMap((component) =>
        reasonsOf(watch, component).map((reason) => `${component}: ${reason}`),
      );
      expect(
        reasons.some((reason) => reason.includes(`: ${dependency.reason}`)),
        reasons.join('\n'),
      ).toBe(true);
    });

    it.each(KINDS)('%s: the outage was logged as warnings, not errors', (kind) => {
      expectQuietOutage(pipelines.get(kind) as FaultPipeline, outage.from, outage.to);
    });

    it.each(KINDS)('%s: the cluster converges with nothing lost; ready again', async (kind) => {
      const pipeline = pipelines.get(kind) as FaultPipeline;
      const expected = { alpha: 'silver', bravo: undefined, charlie: 'platinum', delta: 'gold' };
      const converged = await pipeline.until('the cluster to hold the newest rows', async () => {
        const plans = {
          alpha: await pipeline.plan('alpha'),
          bravo: await pipeline.plan('bravo'),
          charlie: await pipeline.plan('charlie'),
          delta: await pipeline.plan('delta'),
        };
        return JSON.stringify(plans) === JSON.stringify(expected) ? plans : undefined;
      });
      expect(converged).toEqual(expected);
      const ready = await pipeline.until('/readyz 200', async () => {
        const answer = await pipeline.readyz();
        return answer?.status === 200 ? answer : undefined;
      });
      expect(ready.report.ready).toBe(true);
    });
  },
);
