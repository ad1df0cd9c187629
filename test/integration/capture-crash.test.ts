import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, readLastPosition, type TailRecord, tailTopic } from '../../src/kafka/index.js';
import { dropReplicationSlot, execOnce, openAdminDatabase } from '../../support/admin-database.js';
import { writeCaptureConfig } from '../../support/config-file.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// The promise of change capture: whatever happens to the capture process, every
// committed row reaches Kafka, and read_committed consumers see it once.
const env = stackEnv();
const ROWS = 3_000;
const KILL_AT = [700, 1_800];

async function readChanges(topic: string, prefix: string): Promise<TailRecord[]> {
  const records: TailRecord[] = [];
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  await tailTopic({ kafka, topic, prefix, fromBeginning: true, onRecord: (r) => void records.push(r) }).catch(
    () => 0, // the topic appears with the first change
  );
  return records;
}

function stack(...args: string[]): void {
  execFileSync('deploy/local/stack', args, { stdio: 'ignore' });
}

/** A failed wait says what the capture process printed last. */
async function withOutput<T>(process: () => RowkubeProcess, waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (error) {
    throw new Error(`${(error as Error).message}\ncapture output:\n${process().lastOutput()}`);
  }
}

describe.each(['mariadb', 'mysql', 'postgres'] as const)('capture > crash safety (%s)', (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  /** A table, a source and a topic prefix of the test's own, and a running capture process. */
  async function setUp() {
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    const table = uniqueName('crash');
    const source = uniqueName('src');
    const prefix = uniqueName('rk');
    await db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, payload VARCHAR(32))`);
    cleanups.push(() => execOnce(kind, `DROP TABLE IF EXISTS ${table}`));
    if (kind === 'postgres') {
      // As a user would: the table owner publishes the table; the capture user
      // (REPLICATION, read-only) may not.
      await db.exec(`CREATE PUBLICATION rowkube_${source} FOR TABLE ${table}`);
      // The walsender may hold the slot for a moment after the capture process exited.
      cleanups.push(() => dropReplicationSlot(`rowkube_${source}`));
      cleanups.push(() => execOnce(kind, `DROP PUBLICATION IF EXISTS rowkube_${source}`));
    }
    const config = writeCaptureConfig({ kind, captureUrl: db.captureUrl, prefix, source, tables: [table] });
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
    const run = { db, table, prefix, capture: new RowkubeProcess(['capture', '--config', config]) };
    const restart = () => {
      run.capture = new RowkubeProcess(['capture', '--config', config]);
    };
    cleanups.push(() => run.capture.stop());
    await withOutput(
      () => run.capture,
      waitFor(`the first snapshot of ${table}`, () => readLastPosition({ kafka, prefix, name: source }), {
        timeoutMs: 60_000,
        intervalMs: 250,
      }),
    );
    const expectEveryRowOnce = async () => {
      const topic = `${prefix}.${source}.${table}`;
      const records = await withOutput(
        () => run.capture,
        waitFor(
          `${ROWS} changes in ${topic}`,
          async () => {
            const seen = await readChanges(topic, prefix);
            return seen.length >= ROWS ? seen : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 1_000 },
        ),
      );
      const ids = records.map((r) => (r.value as { after: { id: number } }).after.id);
      expect(ids).toHaveLength(ROWS);
      expect(ids).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    };
    return { run, restart, expectEveryRowOnce };
  }

  it(`keeps every committed row exactly once across SIGKILLs while a writer commits ${ROWS} rows`, async () => {
    const { run, restart, expectEveryRowOnce } = await setUp();
    for (let id = 1; id <= ROWS; id++) {
      await run.db.exec(`INSERT INTO ${run.table} (id, payload) VALUES (${id}, 'row ${id}')`);
      if (KILL_AT.includes(id)) {
        await run.capture.kill();
        restart();
      }
    }
    await expectEveryRowOnce();
    expect(await run.capture.stop()).toBe(0);
    await run.db.close();
  });

  // MySQL's own restart is in mysql-capture.test.ts; Kafka's does not depend on the database.
  it.skipIf(kind === 'mysql')(
    `keeps every committed row exactly once when the database and then the broker restart`,
    async () => {
      const { run, expectEveryRowOnce } = await setUp();
      const part = kind;
      for (let id = 1; id <= ROWS; id++) {
        await run.db.exec(`INSERT INTO ${run.table} (id, payload) VALUES (${id}, 'row ${id}')`);
        if (id === KILL_AT[0]) {
          await run.db.close();
          stack('down', part);
          stack('up', part);
          run.db = await openAdminDatabase(kind);
          cleanups.push(() => run.db.close());
        }
        if (id === KILL_AT[1]) {
          stack('down', 'kafka');
          stack('up', 'kafka');
        }
      }
      await expectEveryRowOnce();
      expect(run.capture.exitCode).toBeNull();
      expect(await run.capture.stop()).toBe(0);
    },
    300_000,
  );
});
