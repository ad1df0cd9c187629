import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeProgress } from '../../connectors/incremental-snapshot.js';
import { PROGRESS_FIELD } from '../../connectors/incremental-snapshot-connector.js';
import { requestIncrementalSnapshot } from '../../src/app/incremental-snapshot-request.js';
import { createKafka, readLastPosition, type TailRecord, tailTopic } from '../../src/kafka/index.js';
import {
  type AdminDatabase,
  dropReplicationSlot,
  execOnce,
  openAdminDatabase,
} from '../../support/admin-database.js';
import { configFrom, writeConfigFile } from '../../support/config-file.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { startStages } from '../../support/stage-run.js';
import { waitFor } from '../../support/wait-for.js';

// An incremental re-snapshot of one table (DBLog watermarks) while a writer
// updates, inserts and deletes its rows at about 100 statements a second.
// Nothing may be lost and nothing stale may come last: once the writer
// stops, the latest record per key in the change topic (read_committed) is
// exactly the table, and every row got an 'r' or a later change after the
// request.
const env = stackEnv();
const ROWS = 500;
const KEYS = 600;
const CHUNK = 100;
/** How long a trigger holds each high watermark: the windows the writer's changes fall into. */
const WINDOW_SECONDS = 0.2;

type Kind = 'mariadb' | 'postgres';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readChanges(topic: string, prefix: string): Promise<TailRecord[]> {
  const records: TailRecord[] = [];
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  await tailTopic({ kafka, topic, prefix, fromBeginning: true, onRecord: (r) => void records.push(r) });
  return records;
}

/** The latest value per key, as a compacted replay would give it: deletes and tombstones remove. */
function latestPerKey(records: readonly TailRecord[]): Map<number, number> {
  const rows = new Map<number, number>();
  for (const record of records) {
    const id = (record.key as { id: number }).id;
    const value = record.value as { op: string; after: { id: number; val: number } | null } | null;
    if (value === null || value.op === 'd' || value.after === null) rows.delete(id);
    else rows.set(id, value.after.val);
  }
  return rows;
}

/** Rows of a query, run as the admin user. */
async function selectRows(kind: Kind, sql: string): Promise<Record<string, unknown>[]> {
  if (kind === 'mariadb') {
    const connection = await mysql.createConnection(env.mysqlAdminUrl);
    try {
      const [rows] = await connection.query(sql);
      return rows as Record<string, unknown>[];
    } finally {
      await connection.end();
    }
  }
  const client = new pg.Client({ connectionString: env.pgAdminUrl });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.each(['mariadb', 'postgres'] as const)('capture > incremental snapshot (%s)', (kind: Kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  /** A table of ROWS rows, a signal table with slow high watermarks, and a capture configuration of their own. */
  async function setUp() {
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    const table = uniqueName('inc');
    const signalTable = uniqueName('signal');
    const source = uniqueName('src');
    const prefix = uniqueName('rk');
    const captureUser = decodeURIComponent(new URL(db.captureUrl).username);
    await db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, val INT NOT NULL)`);
    cleanups.push(() => execOnce(kind, `DROP TABLE IF EXISTS ${table}`));
    await db.exec(
      `CREATE TABLE ${signalTable} (id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, data TEXT)`,
    );
    cleanups.push(() => execOnce(kind, `DROP TABLE IF EXISTS ${signalTable}`));
    // The capture user writes the watermarks (docs/capture.md "Incremental snapshots"). A
    // trigger holds each high watermark for a while, as a busy database might: the writer's
    // changes then commit inside the windows, after the chunk was read and before it is emitted,
    // where a chunk row that is not dropped would come last and stale.
    if (kind === 'mariadb') {
      await db.exec(`GRANT INSERT ON ${signalTable} TO '${captureUser}'@'127.0.0.1'`);
      await db.exec(
        `CREATE TRIGGER ${signalTable}_slow BEFORE INSERT ON ${signalTable} FOR EACH ROW ` +
          `SET @rowkube_test_slept = IF(NEW.type = 'snapshot-window-close', SLEEP(${WINDOW_SECONDS}), 0)`,
      );
    } else {
      await db.exec(`GRANT INSERT ON ${signalTable} TO "${captureUser}"`);
      await db.exec(
        `CREATE FUNCTION ${signalTable}_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
          `IF NEW.type = 'snapshot-window-close' THEN PERFORM pg_sleep(${WINDOW_SECONDS}); END IF; RETURN NEW; END $$`,
      );
      cleanups.push(() => execOnce(kind, `DROP FUNCTION IF EXISTS ${signalTable}_slow() CASCADE`));
      await db.exec(
        `CREATE TRIGGER ${signalTable}_slow BEFORE INSERT ON ${signalTable} FOR EACH ROW EXECUTE FUNCTION ${signalTable}_slow()`,
      );
      // As a user would: the table owner publishes the tables, the signal table with them.
      await db.exec(`CREATE PUBLICATION rowkube_${source} FOR TABLE ${table}, ${signalTable}`);
      cleanups.push(() => dropReplicationSlot(`rowkube_${source}`));
      cleanups.push(() => execOnce(kind, `DROP PUBLICATION IF EXISTS rowkube_${source}`));
    }
    for (let id = 1; id <= ROWS; id += 100) {
      const values = Array.from({ length: 100 }, (_, i) => `(${id + i}, 0)`).join(', ');
      await db.exec(`INSERT INTO ${table} (id, val) VALUES ${values}`);
    }
    const document = {
      kafka: { brokers: env.kafkaBrokers, topicPrefix: prefix },
      sources: [
        {
          name: source,
          [kind === 'mariadb' ? 'mysql' : 'postgres']: { url: db.captureUrl },
          tables: [table],
          incrementalSnapshots: { signalTable, chunkSize: CHUNK },
        },
      ],
    };
    const config = configFrom(document);
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
    const topic = `${prefix}.${source}.${table}`;
    /** Starts capture and waits until it stored a position. */
    const startCapture = async () => {
      const run = startStages(config, ['capture']);
      cleanups.push(() => run.stop());
      await waitFor('a stored position', () => readLastPosition({ kafka, prefix, name: source }), {
        timeoutMs: 60_000,
        intervalMs: 250,
        abandon: run.died,
      });
      return run;
    };
    /** The progress stored with the source's position. */
    const storedProgress = async () => {
      const position = await readLastPosition({ kafka, prefix, name: source });
      return decodeProgress(position?.[PROGRESS_FIELD]);
    };
    return { db, table, signalTable, source, prefix, topic, document, config, startCapture, storedProgress };
  }

  /** One statement every ~10 ms on a random key: 60 % updates, 20 % upserts, 20 % deletes. */
  function startWriter(db: AdminDatabase, table: string) {
    let writing = true;
    let statements = 0;
    const upsert =
      kind === 'mariadb'
        ? `INSERT INTO ${table} (id, val) VALUES (?, ?) ON DUPLICATE KEY UPDATE val = VALUES(val)`
        : `INSERT INTO ${table} (id, val) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET val = EXCLUDED.val`;
    const p = (n: number) => (kind === 'mariadb' ? '?' : `$${n}`);
    const writer = (async () => {
      while (writing) {
        const id = 1 + Math.floor(Math.random() * KEYS);
        const dice = Math.random();
        statements += 1;
        if (dice < 0.6)
          await db.exec(`UPDATE ${table} SET val = ${p(1)} WHERE id = ${p(2)}`, [statements, id]);
        else if (dice < 0.8) await db.exec(upsert, [id, statements]);
        else await db.exec(`DELETE FROM ${table} WHERE id = ${p(1)}`, [id]);
        await sleep(10);
      }
    })();
    const stop = async () => {
      writing = false;
      await writer;
      return statements;
    };
    cleanups.push(stop);
    return { stop };
  }

  /**
   * Once capture caught up: the latest record per key is exactly the table,
   * and every row got an 'r' or a later change after the first `before`
   * records. Returns the records after `before`.
   */
  async function expectTopicEndsAsTable(
    setup: { table: string; topic: string; prefix: string },
    before: number,
    died: Promise<never>,
  ): Promise<TailRecord[]> {
    const final = new Map<number, number>();
    for (const row of await selectRows(kind, `SELECT id, val FROM ${setup.table}`))
      final.set(row.id as number, row.val as number);
    const records = await waitFor(
      'the change topic to end with the table as it is',
      async () => {
        const seen = await readChanges(setup.topic, setup.prefix);
        const latest = latestPerKey(seen);
        const same = latest.size === final.size && [...final].every(([id, val]) => latest.get(id) === val);
        return same ? seen : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, abandon: died },
    ).catch(async (error: unknown) => {
      // Say which keys differ rather than only that they do.
      const latest = latestPerKey(await readChanges(setup.topic, setup.prefix));
      const wrong = [...new Set([...final.keys(), ...latest.keys()])]
        .filter((id) => final.get(id) !== latest.get(id))
        .slice(0, 10)
        .map((id) => `${id}: table ${final.get(id)}, topic ${latest.get(id)}`);
      throw new Error(`${(error as Error).message}; differing keys: ${wrong.join('; ')}`);
    });
    expect(Object.fromEntries(latestPerKey(records))).toEqual(Object.fromEntries(final));
    const after = records.slice(before);
    const touched = new Set(after.map((r) => (r.key as { id: number }).id));
    expect([...final.keys()].filter((id) => !touched.has(id))).toEqual([]);
    return after;
  }

  const isRead = (r: TailRecord) => (r.value as { op?: string } | null)?.op === 'r';

  it('re-snapshots a table during steady writes without losing a change or ending stale', async () => {
    const setup = await setUp();
    const run = await setup.startCapture();
    const writer = startWriter(setup.db, setup.table);
    await sleep(1_000);
    const before = (await readChanges(setup.topic, setup.prefix)).length;
    const stopWaiting = new AbortController();
    const timeout = setTimeout(() => stopWaiting.abort(), 40_000);
    const requested = await Promise.race([
      requestIncrementalSnapshot(setup.config, {
        table: setup.table,
        wait: true,
        pollMs: 200,
        signal: stopWaiting.signal,
      }),
      run.died,
    ]).finally(() => clearTimeout(timeout));
    expect(requested).toMatchObject({ source: setup.source, finished: true });
    await sleep(500);
    const statements = await writer.stop();
    const after = await expectTopicEndsAsTable(setup, before, run.died);
    expect(after.filter(isRead).length).toBeGreaterThan(ROWS / 2);
    expect(statements).toBeGreaterThan(100);
    await run.stop();
  }, 60_000);

  it('resumes after a restart from the last chunk stored with the position', async () => {
    const setup = await setUp();
    let run = await setup.startCapture();
    const writer = startWriter(setup.db, setup.table);
    const before = (await readChanges(setup.topic, setup.prefix)).length;
    const { signal } = await requestIncrementalSnapshot(setup.config, { table: setup.table });
    // Stop once a chunk or two are stored, with the rest of the table still to read.
    const progress = await waitFor(
      'a chunk stored with the position',
      async () => {
        const stored = await setup.storedProgress();
        return stored?.lastKey !== null && stored?.queue.length ? stored : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, abandon: run.died },
    );
    // PostgreSQL labels tables by schema.
    const label = kind === 'postgres' ? `public.${setup.table}` : setup.table;
    expect(progress.queue).toEqual([{ signal, table: label }]);
    await run.stop();
    run = await setup.startCapture();
    await waitFor(
      'the snapshot to finish after the restart',
      async () => ((await setup.storedProgress())?.done.includes(signal) ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 200, abandon: run.died },
    );
    await writer.stop();
    const after = await expectTopicEndsAsTable(setup, before, run.died);
    // Resumed, not started over: at most the chunk cut short is read twice.
    expect(after.filter(isRead).length).toBeLessThanOrEqual(ROWS + CHUNK);
    await run.stop();
  }, 60_000);
  it('`rowkube snapshot --table` inserts the execute-snapshot row, and names a table no source captures', async () => {
    const setup = await setUp();
    const file = writeConfigFile(setup.document);
    cleanups.push(async () => rmSync(dirname(file), { recursive: true, force: true }));
    const cli = new RowkubeProcess(['snapshot', '--config', file, '--table', setup.table]);
    expect(await cli.exited(), cli.text()).toBe(0);
    expect(cli.text()).toContain(
      `incremental snapshot of ${setup.table} requested from source ${setup.source}`,
    );
    const rows = await selectRows(kind, `SELECT type, data FROM ${setup.signalTable}`);
    expect(rows).toEqual([{ type: 'execute-snapshot', data: JSON.stringify({ tables: [setup.table] }) }]);

    const wrong = new RowkubeProcess(['snapshot', '--config', file, '--table', 'nope']);
    expect(await wrong.exited()).toBe(1);
    expect(wrong.text()).toContain(
      `ROWKUBE_ERR_CONFIG: no source captures table nope (captured: ${setup.source}: ${setup.table})`,
    );
  }, 30_000);
});
