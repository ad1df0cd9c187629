import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compareLsn, runPostgresCapture } from '../../connectors/postgres/index.js';
import { type RowChange, UNCHANGED_TOAST } from '../../src/core/change-event.js';
import { RecordingSink } from '../../support/recording-sink.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Streaming capture against the local PostgreSQL: row changes, transaction
// grouping, exact values of every type family, unchanged TOAST values and DDL
// in the middle of the stream.
describe('connectors > postgres > capture', () => {
  const env = stackEnv();
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const mood = uniqueName('mood');
  const tables: string[] = [];
  const slots: string[] = [];
  /** Captures still running: a failed assertion must not leave one holding its slot. */
  const running = new Set<() => Promise<void>>();
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: env.pgAdminUrl });
    await admin.connect();
    await admin.query(`CREATE TYPE ${mood} AS ENUM ('sad', 'ok', 'happy')`);
  });

  afterEach(async () => {
    for (const stop of running) await stop();
  });

  afterAll(async () => {
    // Stopped captures released their slots; a walsender may take a moment to exit.
    await waitFor('the slots to be released', async () => {
      const { rows } = await admin.query(
        'SELECT 1 FROM pg_replication_slots WHERE slot_name = ANY($1) AND active',
        [slots],
      );
      return rows.length === 0 ? true : undefined;
    });
    await admin?.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ANY($1)',
      [slots],
    );
    for (const table of tables) {
      await admin?.query(`DROP PUBLICATION IF EXISTS ${table}_pub`);
      await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await admin?.query(`DROP TYPE IF EXISTS ${mood}`);
    await admin?.end();
  });

  /** A table (created by the application user, as in production) with its publication. */
  async function newTable(prefix: string, columns: string): Promise<string> {
    const table = uniqueName(prefix);
    tables.push(table);
    slots.push(`${table}_slot`);
    await admin.query(`CREATE TABLE ${table} (${columns})`);
    await admin.query(`CREATE PUBLICATION ${table}_pub FOR TABLE ${table}`);
    return table;
  }

  /** Starts capture of `table` into `sink` and waits until the snapshot is committed. */
  async function capture(table: string, sink: RecordingSink) {
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
    });
    let failure: unknown;
    done.catch((error: unknown) => {
      failure = error;
    });
    const stop = async () => {
      running.delete(stop);
      controller.abort();
      await done;
    };
    running.add(stop);
    await waitFor('the snapshot commit', () => {
      if (failure) throw failure;
      return sink.transactions.some((t) => t.info.snapshot) || undefined;
    });
    return { stop };
  }

  /** Waits for `count` committed transactions with changes after the snapshot. */
  function streamed(sink: RecordingSink, count: number) {
    return waitFor(`${count} streamed transactions`, () => {
      const txs = sink.dataTransactions().filter((t) => !t.info.snapshot);
      return txs.length >= count ? txs : undefined;
    });
  }

  it('delivers inserts, updates and deletes, one commit per transaction, NULLs as null', async () => {
    const table = await newTable('pg_crud', 'id INT PRIMARY KEY, name TEXT NOT NULL, note TEXT');
    const sink = new RecordingSink();
    const run = await capture(table, sink);
    try {
      await admin.query(`INSERT INTO ${table} VALUES (1, 'one', NULL)`);
      await admin.query(`UPDATE ${table} SET name = 'uno', note = 'n' WHERE id = 1`);
      await admin.query(`DELETE FROM ${table} WHERE id = 1`);
      await admin.query('BEGIN');
      await admin.query(`INSERT INTO ${table} VALUES (2, 'two', NULL), (3, 'three', 'x')`);
      await admin.query(`UPDATE ${table} SET note = 'y' WHERE id = 2`);
      await admin.query(`DELETE FROM ${table} WHERE id = 3`);
      await admin.query('COMMIT');

      const txs = await streamed(sink, 4);
      expect(txs).toHaveLength(4);
      const simplify = (c: RowChange) => ({ op: c.op, before: c.before, after: c.after });
      expect(txs[0]?.changes.map(simplify)).toEqual([
        { op: 'c', before: null, after: { id: 1, name: 'one', note: null } },
      ]);
      // REPLICA IDENTITY DEFAULT: no before-image when the key did not change.
      expect(txs[1]?.changes.map(simplify)).toEqual([
        { op: 'u', before: null, after: { id: 1, name: 'uno', note: 'n' } },
      ]);
      expect(txs[2]?.changes.map(simplify)).toEqual([{ op: 'd', before: { id: 1 }, after: null }]);
      expect(txs[3]?.changes.map(simplify)).toEqual([
        { op: 'c', before: null, after: { id: 2, name: 'two', note: null } },
        { op: 'c', before: null, after: { id: 3, name: 'three', note: 'x' } },
        { op: 'u', before: null, after: { id: 2, name: 'two', note: 'y' } },
        { op: 'd', before: { id: 3 }, after: null },
      ]);
      const change = txs[0]?.changes[0];
      expect(change?.table).toMatchObject({
        source: 'pgtest',
        database: 'rowkube',
        schema: 'public',
        table,
        primaryKey: ['id'],
        columns: [
          { name: 'id', kind: 'int', nullable: false, sourceType: 'integer' },
          { name: 'name', kind: 'string', nullable: false, sourceType: 'text' },
          { name: 'note', kind: 'string', nullable: true, sourceType: 'text' },
        ],
      });
      // Positions move forward; each commit names its transaction.
      const positions = txs.map((t) => t.info.position.lsn as string);
      for (let i = 1; i < positions.length; i++) {
        expect(compareLsn(positions[i - 1] as string, positions[i] as string)).toBeLessThan(0);
      }
      for (const tx of txs) {
        expect(tx.info.txId).toMatch(/^\d+$/);
        expect(Math.abs(tx.info.commitTsMs - Date.now())).toBeLessThan(60_000);
        expect(tx.info.snapshot).toBeFalsy();
      }
    } finally {
      await run.stop();
    }
  });

  it('captures several tables in one source, a transaction across them as one commit', async () => {
    const first = await newTable('pg_multi_a', 'id INT PRIMARY KEY, v TEXT');
    const second = uniqueName('pg_multi_b');
    const schema = uniqueName('capture_schema');
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.${second} (key TEXT PRIMARY KEY, n INT8)`);
    await admin.query(`ALTER PUBLICATION ${first}_pub ADD TABLE ${schema}.${second}`);
    await admin.query(`INSERT INTO ${first} VALUES (1, 'a')`);
    await admin.query(`INSERT INTO ${schema}.${second} VALUES ('k1', 1)`);
    const sink = new RecordingSink();
    const controller = new AbortController();
    const done = runPostgresCapture({
      name: 'pgtest',
      url: env.pgUrl,
      slot: `${first}_slot`,
      publication: `${first}_pub`,
      tables: [first, `${schema}.${second}`],
      sink,
      loadOffset: async () => sink.lastPosition(),
      logger,
      signal: controller.signal,
    });
    const stop = async () => {
      running.delete(stop);
      controller.abort();
      await done;
    };
    running.add(stop);
    try {
      await waitFor('the snapshot commit', () => sink.transactions.some((t) => t.info.snapshot) || undefined);
      await admin.query('BEGIN');
      await admin.query(`INSERT INTO ${first} VALUES (2, 'b')`);
      await admin.query(`UPDATE ${schema}.${second} SET n = 2 WHERE key = 'k1'`);
      await admin.query('COMMIT');
      const [tx] = await streamed(sink, 1);
      const label = (c: RowChange) => `${c.op} ${c.table.schema}.${c.table.table}`;
      expect(sink.transactions.find((t) => t.info.snapshot)?.changes.map(label)).toEqual([
        `r public.${first}`,
        `r ${schema}.${second}`,
      ]);
      expect(tx?.changes.map(label)).toEqual([`c public.${first}`, `u ${schema}.${second}`]);
      expect(tx?.changes[1]?.after).toEqual({ key: 'k1', n: 2n });
    } finally {
      await stop();
      await admin.query(`ALTER PUBLICATION ${first}_pub DROP TABLE ${schema}.${second}`);
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  it('gives a primary-key update a before-image with the old key', async () => {
    const table = await newTable('pg_pk', 'id INT PRIMARY KEY, name TEXT');
    await admin.query(`INSERT INTO ${table} VALUES (1, 'a')`);
    const sink = new RecordingSink();
    const run = await capture(table, sink);
    try {
      await admin.query(`UPDATE ${table} SET id = 10 WHERE id = 1`);
      const [tx] = await streamed(sink, 1);
      expect(tx?.changes.map((c) => ({ op: c.op, before: c.before, after: c.after }))).toEqual([
        { op: 'u', before: { id: 1 }, after: { id: 10, name: 'a' } },
      ]);
    } finally {
      await run.stop();
    }
  });

  it('converts every type family exactly, the same in the snapshot and in the stream', async () => {
    const table = await newTable(
      'pg_types',
      `id INT PRIMARY KEY, i2 INT2, i4 INT4, i8 INT8, n NUMERIC, n2 NUMERIC(12,4), nnan NUMERIC, b BOOL,
       j JSON, jb JSONB, by BYTEA, d DATE, tm TIME, ts TIMESTAMP, tstz TIMESTAMPTZ, tx TEXT, vc VARCHAR(10),
       ch CHAR(4), u UUID, m ${mood}, f8 FLOAT8, f4 FLOAT4, arr INT4[], iv INTERVAL`,
    );
    const values = `32767, -2147483648, 9223372036854775807,
      '-123456789012345678901234567890.123456789012345678901', 12.5, 'NaN', true,
      '{"b": 1,  "a": [1, 2]}', '{"b": 1,  "a": [1, 2]}', '\\xdeadbeef00', '2024-02-29', '23:59:59.999999',
      '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.000123+02', 'zoë — 日本語 🚀', 'abc', 'ab',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy', 0.1, 1.5, '{1,2,NULL}', '1 day 02:03:04'`;
    await admin.query(`INSERT INTO ${table} VALUES (1, ${values})`);
    await admin.query(`INSERT INTO ${table} (id) VALUES (2)`);
    const sink = new RecordingSink();
    const run = await capture(table, sink);
    try {
      await admin.query(`INSERT INTO ${table} VALUES (3, ${values})`);
      await admin.query(`INSERT INTO ${table} (id) VALUES (4)`);
      await streamed(sink, 2);
      const rows = new Map(sink.changes().map((c) => [c.after?.id, c]));
      const expected = {
        i2: 32767,
        i4: -2147483648,
        i8: 9223372036854775807n,
        n: '-123456789012345678901234567890.123456789012345678901',
        n2: '12.5000',
        nnan: 'NaN',
        b: true,
        j: '{"b": 1,  "a": [1, 2]}',
        jb: '{"a": [1, 2], "b": 1}',
        by: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]),
        d: '2024-02-29',
        tm: '23:59:59.999999',
        ts: '2024-02-29T12:34:56.123456',
        tstz: '2024-02-29T10:34:56.000123Z',
        tx: 'zoë — 日本語 🚀',
        vc: 'abc',
        ch: 'ab  ',
        u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        m: 'happy',
        f8: 0.1,
        f4: 1.5,
        arr: '{1,2,NULL}',
        iv: '1 day 02:03:04',
      };
      const nulls = Object.fromEntries(Object.keys(expected).map((k) => [k, null]));
      expect(rows.get(1)).toMatchObject({ op: 'r', after: { id: 1, ...expected } });
      expect(rows.get(2)).toMatchObject({ op: 'r', after: { id: 2, ...nulls } });
      expect(rows.get(3)).toMatchObject({ op: 'c', after: { id: 3, ...expected } });
      expect(rows.get(4)).toMatchObject({ op: 'c', after: { id: 4, ...nulls } });
      const kinds = Object.fromEntries((rows.get(3)?.table.columns ?? []).map((c) => [c.name, c.kind]));
      expect(kinds).toEqual({
        id: 'int',
        i2: 'int',
        i4: 'int',
        i8: 'long',
        n: 'decimal',
        n2: 'decimal',
        nnan: 'decimal',
        b: 'boolean',
        j: 'json',
        jb: 'json',
        by: 'bytes',
        d: 'date',
        tm: 'time',
        ts: 'local-timestamp',
        tstz: 'timestamp',
        tx: 'string',
        vc: 'string',
        ch: 'string',
        u: 'string',
        m: 'string',
        f8: 'double',
        f4: 'float',
        arr: 'string',
        iv: 'string',
      });
      // The snapshot and the stream describe the table the same way.
      expect(rows.get(1)?.table).toEqual(rows.get(3)?.table);
    } finally {
      await run.stop();
    }
  });

  it('marks unchanged TOAST values under REPLICA IDENTITY DEFAULT and fills them under FULL', async () => {
    const table = await newTable('pg_toast', 'id INT PRIMARY KEY, big TEXT, n INT');
    // EXTERNAL: stored out of line without compression, so 10 kB surely goes to TOAST.
    await admin.query(`ALTER TABLE ${table} ALTER COLUMN big SET STORAGE EXTERNAL`);
    const big = 'x'.repeat(10_000);
    const sink = new RecordingSink();
    const run = await capture(table, sink);
    try {
      await admin.query(`INSERT INTO ${table} VALUES (1, $1, 0)`, [big]);
      await admin.query(`UPDATE ${table} SET n = 1 WHERE id = 1`);
      await admin.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
      await admin.query(`UPDATE ${table} SET n = 2 WHERE id = 1`);
      const txs = await streamed(sink, 3);
      expect(txs[0]?.changes[0]?.after).toEqual({ id: 1, big, n: 0 });
      expect(txs[1]?.changes[0]).toMatchObject({
        op: 'u',
        before: null,
        after: { id: 1, big: UNCHANGED_TOAST, n: 1 },
      });
      expect(txs[2]?.changes[0]).toMatchObject({
        op: 'u',
        before: { id: 1, big, n: 1 },
        after: { id: 1, big, n: 2 },
      });
    } finally {
      await run.stop();
    }
  });

  it('captures a partitioned table under its own name, snapshot and stream', async () => {
    const table = uniqueName('pg_part');
    tables.push(`${table}_a`, `${table}_b`, table);
    slots.push(`${table}_slot`);
    await admin.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, v TEXT) PARTITION BY RANGE (id)`);
    await admin.query(`CREATE TABLE ${table}_a PARTITION OF ${table} FOR VALUES FROM (0) TO (100)`);
    await admin.query(`CREATE TABLE ${table}_b PARTITION OF ${table} FOR VALUES FROM (100) TO (200)`);
    await admin.query(`INSERT INTO ${table} VALUES (1, 'a'), (150, 'b')`);
    await admin.query(
      `CREATE PUBLICATION ${table}_pub FOR TABLE ${table} WITH (publish_via_partition_root = true)`,
    );
    const sink = new RecordingSink();
    const run = await capture(table, sink);
    try {
      await admin.query(`INSERT INTO ${table} VALUES (2, 'c'), (160, 'd')`);
      const [tx] = await streamed(sink, 1);
      const snapshot = sink.transactions.find((t) => t.info.snapshot);
      expect(snapshot?.changes.map((c) => [c.op, c.table.table, c.after?.id])).toEqual([
        ['r', table, 1],
        ['r', table, 150],
      ]);
      expect(tx?.changes.map((c) => [c.op, c.table.table, c.after?.id])).toEqual([
        ['c', table, 2],
        ['c', table, 160],
      ]);
    } finally {
      await run.stop();
    }
  });

  it('stops with an error naming the new name when a captured table is renamed', async () => {
    const table = await newTable('pg_rename', 'id INT PRIMARY KEY');
    const sink = new RecordingSink();
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
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    try {
      await waitFor('the snapshot commit', () => sink.transactions.some((t) => t.info.snapshot) || undefined);
      await admin.query(`INSERT INTO ${table} VALUES (1)`);
      await streamed(sink, 1);
      await admin.query(`ALTER TABLE ${table} RENAME TO ${table}_new`);
      tables.push(`${table}_new`);
      await admin.query(`INSERT INTO ${table}_new VALUES (2)`);
      const error = await done;
      expect(error).toMatchObject({ code: 'ROWKUBE_ERR_TABLE_NOT_FOUND' });
      expect(String(error)).toContain(`renamed to public.${table}_new`);
      expect(sink.changes().map((c) => c.after?.id)).toEqual([1]);
    } finally {
      controller.abort();
      await done;
    }
  });

  it('decodes rows with the shape they were written in across ALTER TABLE', async () => {
    const table = await newTable('pg_ddl', 'id INT PRIMARY KEY, a TEXT, b TEXT NOT NULL');
    const sink = new RecordingSink();
    const run = await capture(table, sink);
    try {
      // One step at a time: the catalog, read when a Relation message arrives, then matches the
      // message (nullability is not in the message; see postgres-schema.ts).
      const steps = [
        `INSERT INTO ${table} VALUES (1, 'a1', 'b1')`,
        `ALTER TABLE ${table} ADD COLUMN c INT NOT NULL DEFAULT 7`,
        `INSERT INTO ${table} (id, a, b, c) VALUES (2, 'a2', 'b2', 8)`,
        `ALTER TABLE ${table} DROP COLUMN b`,
        `INSERT INTO ${table} (id, a, c) VALUES (3, 'a3', 9)`,
        `ALTER TABLE ${table} RENAME COLUMN a TO a_renamed`,
        `INSERT INTO ${table} (id, a_renamed, c) VALUES (4, 'a4', 10)`,
        `ALTER TABLE ${table} ALTER COLUMN c TYPE BIGINT`,
        `UPDATE ${table} SET c = 9007199254740993 WHERE id = 1`,
      ];
      let expected = 0;
      for (const sql of steps) {
        await admin.query(sql);
        if (!sql.startsWith('ALTER')) await streamed(sink, ++expected);
      }
      const txs = await streamed(sink, 5);
      const changes = txs.map((t) => t.changes[0]);
      expect(changes.map((c) => c?.after)).toEqual([
        { id: 1, a: 'a1', b: 'b1' },
        { id: 2, a: 'a2', b: 'b2', c: 8 },
        { id: 3, a: 'a3', c: 9 },
        { id: 4, a_renamed: 'a4', c: 10 },
        { id: 1, a_renamed: 'a1', c: 9007199254740993n },
      ]);
      const shape = (c: RowChange | undefined) =>
        c?.table.columns.map((col) => `${col.name}:${col.kind}:${col.nullable}`);
      expect(shape(changes[0])).toEqual(['id:int:false', 'a:string:true', 'b:string:false']);
      expect(shape(changes[1])).toEqual(['id:int:false', 'a:string:true', 'b:string:false', 'c:int:false']);
      expect(shape(changes[2])).toEqual(['id:int:false', 'a:string:true', 'c:int:false']);
      expect(shape(changes[3])).toEqual(['id:int:false', 'a_renamed:string:true', 'c:int:false']);
      expect(shape(changes[4])).toEqual(['id:int:false', 'a_renamed:string:true', 'c:long:false']);
      expect(changes[4]?.table.columns[2]?.sourceType).toBe('bigint');
    } finally {
      await run.stop();
    }
  });
});
