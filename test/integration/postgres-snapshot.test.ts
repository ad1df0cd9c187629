import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPostgresCapture } from '../../connectors/postgres/index.js';
import { RecordingSink } from '../../support/recording-sink.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// The first start snapshots the existing rows and then streams from the
// slot's consistent point: writes that happen while the snapshot is being
// read arrive once, through the stream, and the snapshot shows the table as
// it was when the slot was created.
describe('connectors > postgres > snapshot', () => {
  const env = stackEnv();
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const table = uniqueName('pg_snap');
  const slot = `${table}_slot`;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: env.pgAdminUrl });
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, v TEXT NOT NULL)`);
    await admin.query(`INSERT INTO ${table} SELECT i, 'v' || i FROM generate_series(1, 2500) AS i`);
    await admin.query(`CREATE PUBLICATION ${table}_pub FOR TABLE ${table}`);
  });

  afterAll(async () => {
    await admin?.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    await admin?.query(`DROP PUBLICATION IF EXISTS ${table}_pub`);
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
  });

  it('emits existing rows as reads, then writes made during the snapshot exactly once', async () => {
    const sink = new RecordingSink();
    // Hold the snapshot after its 500th row until the writes below are committed.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reads = 0;
    let paused = false;
    sink.beforeAppend = async (change) => {
      if (change.op !== 'r') return;
      reads += 1;
      if (reads === 500) {
        paused = true;
        await released;
      }
    };
    const controller = new AbortController();
    const done = runPostgresCapture({
      name: 'pgtest',
      url: env.pgUrl,
      slot,
      publication: `${table}_pub`,
      tables: [table],
      sink,
      loadOffset: async () => sink.lastPosition(),
      logger,
      signal: controller.signal,
      snapshotChunkRows: 300,
    });
    let failure: unknown;
    done.catch((error: unknown) => {
      failure = error;
    });
    try {
      await waitFor('the snapshot to reach row 500', () => {
        if (failure) throw failure;
        return paused || undefined;
      });
      // Rows already read (10), not yet read (2000), deleted (2400), and new ones.
      await admin.query('BEGIN');
      await admin.query(`UPDATE ${table} SET v = 'changed' WHERE id IN (10, 2000)`);
      await admin.query(`DELETE FROM ${table} WHERE id = 2400`);
      await admin.query(`INSERT INTO ${table} SELECT i, 'new' || i FROM generate_series(2501, 2510) AS i`);
      await admin.query('COMMIT');
      release();
      await admin.query(`INSERT INTO ${table} VALUES (3000, 'after')`);

      await waitFor('the stream to deliver both transactions', () => {
        if (failure) throw failure;
        return sink.dataTransactions().filter((t) => !t.info.snapshot).length >= 2 || undefined;
      });

      // Chunks of 300 rows, each committed with the progress; the last commit is the stream's start alone.
      const snapshot = sink.transactions.filter((t) => t.info.snapshot);
      expect(snapshot.length).toBeGreaterThan(8);
      const read = snapshot.flatMap((t) => t.changes);
      // The table as it was when the slot was created: 2500 rows in key order, old values.
      expect(read).toHaveLength(2500);
      expect(read.every((c) => c.op === 'r' && c.before === null)).toBe(true);
      expect(read.map((c) => c.after?.id)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
      expect(read[9]?.after).toEqual({ id: 10, v: 'v10' });
      expect(read[1999]?.after).toEqual({ id: 2000, v: 'v2000' });
      expect(read[2399]?.after).toEqual({ id: 2400, v: 'v2400' });

      // Then the stream, from the slot's consistent point: nothing lost, nothing twice.
      const streamed = sink.dataTransactions().filter((t) => !t.info.snapshot);
      expect(streamed).toHaveLength(2);
      const during = streamed[0]?.changes.map((c) => `${c.op}:${c.before?.id ?? ''}:${c.after?.id ?? ''}`);
      expect(during).toEqual([
        'u::10',
        'u::2000',
        'd:2400:',
        ...Array.from({ length: 10 }, (_, i) => `c::${2501 + i}`),
      ]);
      expect(streamed[1]?.changes.map((c) => c.after)).toEqual([{ id: 3000, v: 'after' }]);
      // The snapshot's position is the slot's consistent point, where the stream began.
      const last = snapshot.at(-1)?.info.position;
      expect(typeof last?.lsn).toBe('string');
      expect(last?.snapshot).toBeUndefined();
      expect(
        snapshot
          .slice(0, -1)
          .every((t) => t.info.position.lsn === last?.lsn && typeof t.info.position.snapshot === 'string'),
      ).toBe(true);
    } finally {
      release();
      controller.abort();
      await done.catch(() => undefined);
    }
    expect(failure).toBeUndefined();
  });
});
