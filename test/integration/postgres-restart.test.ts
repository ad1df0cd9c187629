import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compareLsn, runPostgresCapture } from '../../connectors/postgres/index.js';
import type { CommitInfo, RowChange } from '../../src/core/change-event.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { RecordingSink } from '../../support/recording-sink.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

/** Drops slots, ending the walsender of one that is still held (slots pin WAL). */
async function dropSlots(admin: pg.Client | undefined, slots: string[]): Promise<void> {
  await admin?.query(
    'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = ANY($1) AND active_pid IS NOT NULL',
    [slots],
  );
  await waitFor('the slots to be released', async () => {
    const { rows } = await (admin as pg.Client).query(
      'SELECT 1 FROM pg_replication_slots WHERE slot_name = ANY($1) AND active',
      [slots],
    );
    return rows.length === 0 ? true : undefined;
  });
  await admin?.query(
    'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ANY($1)',
    [slots],
  );
}

// Positions: what is acknowledged to the slot, what a restart resumes from,
// lost connections, and keepalives on an idle table.
describe('connectors > postgres > positions and restarts', () => {
  const env = stackEnv();
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const tables: string[] = [];
  /** Captures still running: a failed assertion must not leave one holding its slot. */
  const running = new Set<() => Promise<unknown>>();
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: env.pgAdminUrl });
    await admin.connect();
  });

  afterEach(async () => {
    for (const stop of running) await stop();
  });

  afterAll(async () => {
    await dropSlots(
      admin,
      tables.map((t) => `${t}_slot`),
    );
    for (const table of tables) {
      await admin?.query(`DROP PUBLICATION IF EXISTS ${table}_pub`);
      await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await admin?.end();
  });

  async function newTable(prefix: string): Promise<string> {
    const table = uniqueName(prefix);
    tables.push(table);
    await admin.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, v TEXT)`);
    await admin.query(`CREATE PUBLICATION ${table}_pub FOR TABLE ${table}`);
    return table;
  }

  /** Starts capture; `ended` settles when it stops or fails. */
  function capture(table: string, sink: RecordingSink, options: { heartbeatIntervalMs?: number } = {}) {
    const controller = new AbortController();
    const done = runPostgresCapture({
      name: 'pgtest',
      url: env.pgUrl,
      slot: `${table}_slot`,
      publication: `${table}_pub`,
      tables: [table],
      sink,
      loadOffset: async () => sink.lastPosition(),
      logger,
      signal: controller.signal,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      ...options,
    });
    const ended = done.then(
      () => ({ error: undefined as unknown }),
      (error: unknown) => ({ error }),
    );
    let failed = false;
    void ended.then(({ error }) => {
      failed = error !== undefined;
    });
    const stop = async () => {
      controller.abort();
      running.delete(stop);
      return (await ended).error;
    };
    running.add(stop);
    return {
      ended,
      /** Resolves once the stream runs (after the first start's snapshot). */
      started: () =>
        waitFor('the stream to start', async () => {
          if (failed) throw (await ended).error;
          return (await slotState(table))?.pid ? true : undefined;
        }),
      stop,
    };
  }

  const ids = (sink: RecordingSink) => sink.changes().map((c) => (c.after ?? c.before)?.id);

  async function slotState(table: string) {
    const { rows } = await admin.query<{ confirmed: string; pid: number | null }>(
      'SELECT confirmed_flush_lsn::text AS confirmed, active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
      [`${table}_slot`],
    );
    return rows[0];
  }

  it('acknowledges exactly the stored position and resumes from it after a stop', async () => {
    const table = await newTable('pg_restart');
    await admin.query(`INSERT INTO ${table} VALUES (0, 'before')`);
    const sink = new RecordingSink();
    let run = capture(table, sink);
    await run.started();
    for (let id = 1; id <= 5; id++) await admin.query(`INSERT INTO ${table} VALUES ($1, 'first')`, [id]);
    await waitFor('rows 1..5', () => (ids(sink).length >= 6 ? true : undefined));
    // The slot is told exactly the end of the last stored transaction: not one byte more.
    await waitFor('the slot to confirm the stored position', async () => {
      const state = await slotState(table);
      return state?.confirmed === sink.lastPosition()?.lsn ? true : undefined;
    });
    expect(await run.stop()).toBeUndefined();

    for (let id = 6; id <= 10; id++)
      await admin.query(`INSERT INTO ${table} VALUES ($1, 'while stopped')`, [id]);
    run = capture(table, sink);
    try {
      await admin.query(`INSERT INTO ${table} VALUES (11, 'after restart')`);
      await waitFor('rows 6..11', () => (ids(sink).length >= 12 ? true : undefined));
      expect(ids(sink)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(sink.transactions.filter((t) => t.info.snapshot)).toHaveLength(1);
    } finally {
      expect(await run.stop()).toBeUndefined();
    }
  });

  it('keeps streaming while sink commits are pending, and acknowledges only what they stored', async () => {
    const table = await newTable('pg_pipeline');
    const sink = new RecordingSink();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: string[] = [];
    sink.beforeCommit = async (info, changes) => {
      calls.push(info.position.lsn as string);
      if (changes.some((c) => (c.after?.id as number) >= 2)) await released;
    };
    const run = capture(table, sink);
    await run.started();
    try {
      for (let id = 1; id <= 3; id++) await admin.query(`INSERT INTO ${table} VALUES ($1, 'x')`, [id]);
      // The commits of rows 2 and 3 were both asked for although the first of them is pending.
      await waitFor('three commits asked for', () => (calls.length >= 4 ? true : undefined));
      const first = sink.transactions.at(-1)?.info.position.lsn;
      expect(sink.changes().map((c) => c.after?.id)).toEqual([1]);
      await waitFor('the slot to confirm the first commit only', async () =>
        (await slotState(table))?.confirmed === first ? true : undefined,
      );
      release();
      await waitFor('rows 2 and 3 stored', () => (ids(sink).length === 3 ? true : undefined));
      await waitFor('the slot to confirm the last commit', async () =>
        (await slotState(table))?.confirmed === calls.at(-1) ? true : undefined,
      );
    } finally {
      release();
      expect(await run.stop()).toBeUndefined();
    }
  });

  it('does not deliver twice a transaction that was stored but not acknowledged', async () => {
    const table = await newTable('pg_crash');
    // Stores the transaction of row 2, then fails as if the process died before acknowledging it.
    class CrashingSink extends RecordingSink {
      crashed = false;
      override async commit(info: CommitInfo): Promise<void> {
        const row2 = this.pending.some((c) => c.after?.id === 2);
        await super.commit(info);
        if (row2 && !this.crashed) {
          this.crashed = true;
          throw new Error('crash after the offset was stored');
        }
      }
    }
    const sink = new CrashingSink();
    let run = capture(table, sink);
    await run.started();
    await admin.query(`INSERT INTO ${table} VALUES (1, 'a')`);
    await admin.query(`INSERT INTO ${table} VALUES (2, 'b')`);
    const { error } = await run.ended;
    expect(String(error)).toContain('crash after the offset was stored');
    const state = await slotState(table);
    expect(compareLsn(state?.confirmed as string, sink.lastPosition()?.lsn as string)).toBeLessThan(0);

    run = capture(table, sink);
    try {
      await admin.query(`INSERT INTO ${table} VALUES (3, 'c')`);
      await waitFor('row 3', () => (ids(sink).includes(3) ? true : undefined));
      expect(ids(sink)).toEqual([1, 2, 3]);
    } finally {
      expect(await run.stop()).toBeUndefined();
    }
  });

  // Regression: a retriable sink failure (KafkaChangeSink when the broker restarts) ended the
  // stream for good, so `rowkube capture` stopped the source until someone restarted it.
  it('resets a sink that failed with a retriable error and resumes from the position it stored', async () => {
    const table = await newTable('pg_sink_outage');
    const outage = () => new RowkubeError(ErrorCode.KAFKA, 'the broker went away', true);
    // Like KafkaChangeSink: after a failure every call rejects until abort(). The commit of
    // row 2 is stored but reported failed (its reply was lost in the outage).
    class OutageSink extends RecordingSink {
      failing = false;
      failed = false;
      override async append(change: RowChange): Promise<void> {
        if (this.failing) throw outage();
        await super.append(change);
      }
      override async commit(info: CommitInfo): Promise<void> {
        if (this.failing) {
          this.pending = [];
          throw outage();
        }
        const row2 = this.pending.some((c) => c.after?.id === 2);
        await super.commit(info);
        if (row2 && !this.failed) {
          this.failed = true;
          this.failing = true;
          throw outage();
        }
      }
      override abort(): void {
        super.abort();
        this.failing = false;
      }
    }
    const sink = new OutageSink();
    const run = capture(table, sink);
    await run.started();
    try {
      await admin.query(`INSERT INTO ${table} VALUES (1, 'a')`);
      await admin.query(`INSERT INTO ${table} VALUES (2, 'b')`);
      await waitFor('the sink to fail', () => (sink.failed ? true : undefined));
      await admin.query(`INSERT INTO ${table} VALUES (3, 'c')`);
      await waitFor('row 3 after the reset', () => (ids(sink).includes(3) ? true : undefined));
      // Row 2 was stored before the failure: resumed from the stored position, not sent again.
      expect(ids(sink)).toEqual([1, 2, 3]);
      expect(sink.aborts).toBeGreaterThanOrEqual(1);
      await waitFor('the slot to confirm the last commit', async () =>
        (await slotState(table))?.confirmed === sink.lastPosition()?.lsn ? true : undefined,
      );
    } finally {
      expect(await run.stop()).toBeUndefined();
    }
  });

  // Regression: pg-logical-replication's acknowledge(lsn) reports lsn + 1. Given a commit's
  // end LSN, that told the slot it had everything up to one byte past the end, and a
  // transaction whose commit record starts exactly there (two transactions committing
  // back to back) was skipped after a restart.
  it('resumes with a transaction whose commit record starts where the acknowledged one ends', async () => {
    const table = await newTable('pg_adjacent');
    const sink = new RecordingSink();
    sink.beforeCommit = (_info, changes) => {
      if (changes.some((c) => c.after?.id === 2)) throw new Error('the second transaction fails');
    };
    let run = capture(table, sink);
    await run.started();
    const other = new pg.Client({ connectionString: env.pgAdminUrl });
    await other.connect();
    try {
      await admin.query('BEGIN');
      await admin.query(`INSERT INTO ${table} VALUES (1, 'first')`);
      await other.query('BEGIN');
      await other.query(`INSERT INTO ${table} VALUES (2, 'second')`);
      await admin.query('COMMIT');
      await other.query('COMMIT');
    } finally {
      await other.end();
    }
    const { error } = await run.ended;
    expect(String(error)).toContain('the second transaction fails');
    expect(ids(sink)).toEqual([1]);
    await waitFor('the slot to be released', async () =>
      (await slotState(table))?.pid === null ? true : undefined,
    );
    expect((await slotState(table))?.confirmed).toBe(sink.lastPosition()?.lsn);

    // A restarted process starts with an empty sink transaction.
    sink.beforeCommit = undefined;
    sink.abort();
    run = capture(table, sink);
    try {
      await waitFor('row 2', () => (ids(sink).includes(2) ? true : undefined));
      expect(ids(sink)).toEqual([1, 2]);
    } finally {
      expect(await run.stop()).toBeUndefined();
    }
  });

  it('reconnects after the replication connection is killed, also inside a transaction', async () => {
    const table = await newTable('pg_reconnect');
    const sink = new RecordingSink();
    const run = capture(table, sink);
    await run.started();
    try {
      await admin.query(`INSERT INTO ${table} VALUES (1, 'a')`);
      await waitFor('row 1', () => (ids(sink).includes(1) ? true : undefined));

      // Between transactions.
      const first = await waitFor('the walsender', async () => (await slotState(table))?.pid ?? undefined);
      await admin.query('SELECT pg_terminate_backend($1)', [first]);
      await admin.query(`INSERT INTO ${table} VALUES (2, 'b')`);
      await waitFor('row 2 after the reconnect', () => (ids(sink).includes(2) ? true : undefined));

      // Inside a transaction. Flow control pauses the socket while a message is handled, so a
      // lost connection shows only once the messages already received are handled: the
      // transaction must be larger than what the socket buffers hold for the loss to land
      // inside it. Row 100 is held in append while the walsender is killed.
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let holding = false;
      sink.beforeAppend = async (change) => {
        if (change.after?.id === 100 && sink.aborts === 0) {
          holding = true;
          await released;
        }
      };
      await admin.query(
        `INSERT INTO ${table} SELECT i, repeat('x', 1000) FROM generate_series(10, 5009) AS i`,
      );
      await waitFor('row 100 to be held', () => holding || undefined);
      const second = await waitFor('the walsender', async () => (await slotState(table))?.pid ?? undefined);
      expect(second).not.toBe(first);
      await admin.query('SELECT pg_terminate_backend($1)', [second]);
      release();
      await waitFor('the large transaction after the reconnect', () =>
        sink.dataTransactions().some((t) => t.changes.length === 5000) ? true : undefined,
      );
      expect(sink.aborts).toBe(1);
      const all = ids(sink);
      expect(all).toHaveLength(5002);
      expect(new Set(all).size).toBe(5002);
    } finally {
      expect(await run.stop()).toBeUndefined();
    }
  });

  it('moves the slot past WAL of other tables while the captured table is idle', async () => {
    const table = await newTable('pg_idle');
    const noise = uniqueName('pg_noise');
    tables.push(noise);
    await admin.query(`CREATE TABLE ${noise} (id INT PRIMARY KEY)`);
    const sink = new RecordingSink();
    const run = capture(table, sink, { heartbeatIntervalMs: 100 });
    try {
      await run.started();
      await admin.query(`INSERT INTO ${noise} SELECT generate_series(1, 100)`);
      const { rows } = await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      const written = rows[0]?.lsn as string;
      await waitFor('the slot to pass the other table’s WAL', async () => {
        const confirmed = (await slotState(table))?.confirmed;
        return confirmed && compareLsn(confirmed, written) >= 0 ? true : undefined;
      });
      // Stored before acknowledged: a position-only commit, at or past the slot's position.
      const last = sink.transactions.at(-1);
      expect(last?.changes).toEqual([]);
      expect(compareLsn(last?.info.position.lsn as string, written)).toBeGreaterThanOrEqual(0);
      expect(sink.dataTransactions()).toHaveLength(0);
    } finally {
      expect(await run.stop()).toBeUndefined();
    }
  });

  it('takes over a slot that an earlier capture still holds, without waiting for wal_sender_timeout', async () => {
    // A replica paused or cut off keeps its replication connection open; the
    // slot stays active until PostgreSQL gives up on it (60 s by default).
    const table = await newTable('pg_takeover');
    const sink = new RecordingSink();
    let run = capture(table, sink);
    await run.started();
    await admin.query(`INSERT INTO ${table} VALUES (1, 'first')`);
    await waitFor('row 1', () => (ids(sink).includes(1) ? true : undefined));
    expect(await run.stop()).toBeUndefined();

    const holder = new LogicalReplicationService(
      { connectionString: env.pgUrl },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    holder.on('error', () => undefined);
    const held = holder
      .subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [`${table}_pub`] }), `${table}_slot`)
      .then(
        () => 'ended',
        () => 'ended',
      );
    try {
      const holderPid = await waitFor(
        'the earlier capture to hold the slot',
        async () => (await slotState(table))?.pid ?? undefined,
      );
      run = capture(table, sink);
      await admin.query(`INSERT INTO ${table} VALUES (2, 'after the takeover')`);
      await waitFor(
        'row 2 from the capture that took over',
        () => (ids(sink).includes(2) ? true : undefined),
        {
          timeoutMs: 20_000,
        },
      );
      expect(await held).toBe('ended');
      expect((await slotState(table))?.pid).not.toBe(holderPid);
      expect(ids(sink)).toEqual([1, 2]);
    } finally {
      await holder.stop().catch(() => undefined);
      expect(await run.stop()).toBeUndefined();
    }
  });
});
