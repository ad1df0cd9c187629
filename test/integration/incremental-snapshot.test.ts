import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { requestIncrementalSnapshot } from '../../src/app/incremental-snapshot-request.js';
import { createKafka, readLastPosition, type TailRecord, tailTopic } from '../../src/kafka/index.js';
import { execOnce, openAdminDatabase } from '../../support/admin-database.js';
import { configFrom } from '../../support/config-file.js';
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

/** The table's rows, read as the admin user. */
async function tableRows(kind: Kind, table: string): Promise<{ id: number; val: number }[]> {
  if (kind === 'mariadb') {
    const connection = await mysql.createConnection(env.mysqlAdminUrl);
    try {
      const [rows] = await connection.query(`SELECT id, val FROM ${table}`);
      return rows as { id: number; val: number }[];
    } finally {
      await connection.end();
    }
  }
  const client = new pg.Client({ connectionString: env.pgAdminUrl });
  await client.connect();
  try {
    return (await client.query<{ id: number; val: number }>(`SELECT id, val FROM ${table}`)).rows;
  } finally {
    await client.end();
  }
}

describe.each(['mariadb', 'postgres'] as const)('capture > incremental snapshot (%s)', (kind: Kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('re-snapshots a table during steady writes without losing a change or ending stale', async () => {
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
    // trigger holds each high watermark for 200 ms, as a busy database might: the writer's
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
      await db.exec(`CREATE PUBLICATION rowkube_${source} FOR TABLE ${table}, ${signalTable}`);
      cleanups.push(() =>
        waitFor(
          `slot rowkube_${source} to be dropped`,
          async () => {
            await execOnce(
              kind,
              `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'rowkube_${source}'`,
            );
            return true;
          },
          { timeoutMs: 10_000, intervalMs: 250 },
        ),
      );
      cleanups.push(() => execOnce(kind, `DROP PUBLICATION IF EXISTS rowkube_${source}`));
    }
    for (let id = 1; id <= ROWS; id += 100) {
      const values = Array.from({ length: 100 }, (_, i) => `(${id + i}, 0)`).join(', ');
      await db.exec(`INSERT INTO ${table} (id, val) VALUES ${values}`);
    }

    const config = configFrom({
      kafka: { brokers: env.kafkaBrokers, topicPrefix: prefix },
      sources: [
        {
          name: source,
          [kind === 'mariadb' ? 'mysql' : 'postgres']: { url: db.captureUrl },
          tables: [table],
          incrementalSnapshots: { signalTable, chunkSize: CHUNK },
        },
      ],
    });
    const run = startStages(config, ['capture']);
    cleanups.push(() => run.stop());
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
    await waitFor('the first snapshot', () => readLastPosition({ kafka, prefix, name: source }), {
      timeoutMs: 60_000,
      intervalMs: 250,
      abandon: run.died,
    });
    const topic = `${prefix}.${source}.${table}`;

    // The writer: one statement every ~10 ms on a random key: 60 % updates, 20 % upserts, 20 % deletes.
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
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    cleanups.push(async () => {
      writing = false;
      await writer;
    });

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = (await readChanges(topic, prefix)).length;
    const stopWaiting = new AbortController();
    const timeout = setTimeout(() => stopWaiting.abort(), 40_000);
    const requested = await Promise.race([
      requestIncrementalSnapshot(config, { table, wait: true, pollMs: 200, signal: stopWaiting.signal }),
      run.died,
    ]).finally(() => clearTimeout(timeout));
    expect(requested).toMatchObject({ source, finished: true });
    await new Promise((resolve) => setTimeout(resolve, 500));
    writing = false;
    await writer;

    // The table as it ended, and the topic once capture caught up with it.
    const final = new Map<number, number>();
    for (const row of await tableRows(kind, table)) final.set(row.id, row.val);
    const records = await waitFor(
      'the change topic to end with the table as it is',
      async () => {
        const seen = await readChanges(topic, prefix);
        const latest = latestPerKey(seen);
        const same = latest.size === final.size && [...final].every(([id, val]) => latest.get(id) === val);
        return same ? seen : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, abandon: run.died },
    );
    expect(Object.fromEntries(latestPerKey(records))).toEqual(Object.fromEntries(final));

    // Every row of the table was read again, or changed, after the request.
    const after = records.slice(before);
    const touched = new Set(after.map((r) => (r.key as { id: number }).id));
    const reads = after.filter((r) => (r.value as { op?: string } | null)?.op === 'r');
    expect([...final.keys()].filter((id) => !touched.has(id))).toEqual([]);
    expect(reads.length).toBeGreaterThan(final.size / 2);
    expect(statements).toBeGreaterThan(100);
    await run.stop();
  }, 90_000);
});
