import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountChanges, takeoverMs } from '../../support/failover-figures.js';
import { HaRun } from '../../support/ha-run.js';
import { waitFor } from '../../support/wait-for.js';

// High availability of `rowkube run` (issue 12), the short version of
// bench:failover: three replicas share one MariaDB source under a steady 50
// changes/s; the capture leader is SIGKILLed twice, and each killed replica
// is replaced by a new one (a new pod, a new name), so three keep running.
// A takeover is the time from the kill to the first change-topic record
// sent after it: the killed leader sends nothing after its kill, so that
// record is the new leader's. Afterwards capture lost no change and the
// cluster equals the table.
//
// MariaDB only: on PostgreSQL the same case costs about 40 s more of the
// suite, and the kernel closes a SIGKILLed leader's connection, so its
// walsender ends by itself. The slot take-over that matters, from a leader
// whose connection stays open (frozen here; a lost node in a cluster), is in
// split-brain.test.ts on both databases; `npm run bench:failover -- --database postgres` kills
// PostgreSQL's capture leader 10 times.

const KILLS = 2;
const RATE = 50;
/** The aim is under 10 s (the default Lease of 6 s, a 1 s retry, capture's start); a busy shared machine gets slack. */
const TAKEOVER_LIMIT_MS = 20_000;

describe('rowkube run > high availability > failover', () => {
  const run = new HaRun({ rows: 50 });
  const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000) =>
    waitFor(what, probe, { timeoutMs, intervalMs: 100 }).catch((error: Error) => {
      throw new Error(`${error.message}\n${run.replicas.describe()}`);
    });

  beforeAll(async () => {
    await run.setUp();
    await run.replicas.start(3);
    await run.replicas.waitForLeader();
    // The snapshot of the seeded rows, applied: the pipeline runs end to end.
    await until('the seeded rows in the cluster', async () =>
      (await run.checkCluster()).equal ? true : undefined,
    );
    run.followChanges();
  });

  afterAll(async () => {
    await run.writer?.stop().catch(() => undefined);
    await run.cleanUp();
  });

  it('a new leader captures within seconds of each SIGKILL; nothing is lost; the cluster equals the table', async () => {
    run.writer.start(RATE);
    const kills: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const leader = await run.replicas.waitForLeader();
      // Kill a leader that is capturing: one of its records is sent from now on.
      const since = Date.now();
      await until(`${leader.instance} capturing`, () => (run.sentAfter(since).length > 0 ? true : undefined));
      kills.push(await run.replicas.kill(leader));
      await run.replicas.restart(leader);
      await run.replicas.waitForLeader(leader);
      const killedAt = kills[kills.length - 1] as number;
      await until('a change captured after the kill', () =>
        run.sentAfter(killedAt).length > 0 ? true : undefined,
      );
    }
    await run.writer.stop();
    const settled = await until('the cluster to equal the table', async () => {
      const check = await run.checkCluster();
      return check.equal ? check : undefined;
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}\nlast check: ${JSON.stringify(await run.checkCluster())}`);
    });
    expect(settled.objects).toBe(run.writer.rows);

    const captured = await run.captured();
    const takeovers = takeoverMs(kills, captured);
    console.info(`failover test: takeovers (ms) ${JSON.stringify(takeovers)}`);
    for (const ms of takeovers) {
      expect(ms).not.toBeNull();
      expect(ms as number).toBeLessThan(TAKEOVER_LIMIT_MS);
    }
    const accounting = accountChanges(run.writer.writes.length, captured);
    expect(accounting.lost, JSON.stringify(accounting)).toBe(0);
  });
});
