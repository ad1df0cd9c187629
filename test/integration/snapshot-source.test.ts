import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, readLastPosition, type TailRecord, tailTopic } from '../../src/kafka/index.js';
import { dropReplicationSlot, execOnce, openAdminDatabase } from '../../support/admin-database.js';
import { writeCaptureConfig } from '../../support/config-file.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// `rowkube snapshot --source S` after capture lost its place in the log: the
// binlog file of the stored position is gone (MariaDB), or the replication
// slot is (PostgreSQL). Capture refuses to start and names the command; after
// it, the next start takes a new snapshot, and the rows deleted while capture
// was stopped come out as deletions, the others as they are now.
//
// The MariaDB and MySQL binlogs are shared with every other test, so instead
// of purging them the test stores a position (without a GTID set) in a binlog
// file the server does not have: to the preflight that is the same as a
// purged one.
const env = stackEnv();
const ROWS = 40;

type Change = {
  op: string;
  before: { id: number; v: string } | null;
  after: { id: number; v: string } | null;
};

/** The records of the topic, read_committed, to its end. */
async function readRecords(topic: string, prefix: string): Promise<TailRecord[]> {
  const records: TailRecord[] = [];
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  await tailTopic({ kafka, topic, prefix, fromBeginning: true, onRecord: (r) => void records.push(r) });
  return records;
}

describe.each(['mariadb', 'mysql', 'postgres'] as const)('capture > snapshot --source (%s)', (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('takes a new snapshot after a lost position: rows deleted meanwhile become deletions, the rest stay', async () => {
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    const table = uniqueName('resnap');
    const source = uniqueName('src');
    const prefix = uniqueName('rk');
    const slot = `rowkube_${source}`;
    await db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL)`);
    cleanups.push(() => execOnce(kind, `DROP TABLE IF EXISTS ${table}`));
    const values = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, 'v${i + 1}')`).join(', ');
    await db.exec(`INSERT INTO ${table} (id, v) VALUES ${values}`);
    const dropSlot = () => dropReplicationSlot(slot);
    if (kind === 'postgres') {
      await db.exec(`CREATE PUBLICATION ${slot} FOR TABLE ${table}`);
      cleanups.push(dropSlot);
      cleanups.push(() => execOnce(kind, `DROP PUBLICATION IF EXISTS ${slot}`));
    }
    const config = writeCaptureConfig({ kind, captureUrl: db.captureUrl, prefix, source, tables: [table] });
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
    const topic = `${prefix}.${source}.${table}`;
    let capture = new RowkubeProcess(['capture', '--config', config]);
    cleanups.push(() => capture.stop());
    const withOutput = async <T>(waiting: Promise<T>): Promise<T> =>
      waiting.catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\ncapture output:\n${capture.lastOutput()}`);
      });
    const streaming = () =>
      withOutput(
        waitFor(
          'capture to stream',
          async () => {
            const position = await readLastPosition({ kafka, prefix, name: source });
            const done =
              position !== undefined && position.snapshot === undefined && !position.snapshotRequested;
            return done ? position : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 250 },
        ),
      );

    // A first snapshot, then one streamed row.
    const first = await streaming();
    await db.exec(`INSERT INTO ${table} (id, v) VALUES (${ROWS + 1}, 'streamed')`);
    await withOutput(
      waitFor(
        'the streamed row',
        async () => ((await readRecords(topic, prefix)).length > ROWS ? true : undefined),
        {
          timeoutMs: 20_000,
          intervalMs: 250,
        },
      ),
    );
    expect(await capture.stop()).toBe(0);

    // While capture is stopped: deletions, an update, an insert; and the log position is lost.
    await db.exec(`DELETE FROM ${table} WHERE id BETWEEN 10 AND 19`);
    await db.exec(`DELETE FROM ${table} WHERE id = ${ROWS + 1}`);
    await db.exec(`UPDATE ${table} SET v = 'changed' WHERE id = 5`);
    await db.exec(`INSERT INTO ${table} (id, v) VALUES (100, 'new')`);
    if (kind !== 'postgres') {
      const file = String(first?.file).replace(/\d+$/, (n) => '0'.repeat(n.length));
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: `${prefix}._offsets`,
        messages: [{ key: source, value: JSON.stringify({ file, pos: 4, gtid: null }) }],
      });
      await producer.disconnect();
    } else {
      await dropSlot();
    }

    // Capture refuses, and says what to run.
    capture = new RowkubeProcess(['capture', '--config', config]);
    await withOutput(
      waitFor(
        'the lost position to be reported',
        () => capture.text().includes(`rowkube snapshot --source ${source}`) || undefined,
        { timeoutMs: 20_000, intervalMs: 100 },
      ),
    );
    expect(capture.text()).toContain('ROWKUBE_ERR_POSITION_PURGED');
    await capture.stop();

    const command = new RowkubeProcess(['snapshot', '--config', config, '--source', source]);
    expect(await command.exited()).toBe(0);
    expect(command.text()).toContain(`source ${source}: the next capture start takes a new snapshot`);
    expect((await readLastPosition({ kafka, prefix, name: source }))?.snapshotRequested).toBeTypeOf('number');

    const recordsBefore = (await readRecords(topic, prefix)).length;
    capture = new RowkubeProcess(['capture', '--config', config]);
    await streaming();
    expect(capture.text()).toContain('re-snapshot requested');
    expect(await capture.stop()).toBe(0);

    const records = (await readRecords(topic, prefix)).slice(recordsBefore);
    const gone = [...Array.from({ length: 10 }, (_, i) => 10 + i), ROWS + 1];
    // Each row gone: a deletion with the last captured row as `before`, then a tombstone.
    for (const id of gone) {
      const ofKey = records.filter((r) => (r.key as { id: number }).id === id);
      expect(
        ofKey.map((r) => (r.value === null ? 'tombstone' : (r.value as Change).op)),
        `id ${id}`,
      ).toEqual(['d', 'tombstone']);
      expect((ofKey[0]?.value as Change | undefined)?.before).toEqual({
        id,
        v: id === ROWS + 1 ? 'streamed' : `v${id}`,
      });
    }
    // Every row still there, read again as it is now.
    const kept = new Map<number, string>();
    for (const r of records) {
      const change = r.value as Change | null;
      if (change?.op === 'r' && change.after) kept.set(change.after.id, change.after.v);
    }
    const expected = new Map<number, string>();
    for (let id = 1; id <= ROWS; id++)
      if (!gone.includes(id)) expected.set(id, id === 5 ? 'changed' : `v${id}`);
    expected.set(100, 'new');
    expect(kept).toEqual(expected);
    expect(records).toHaveLength(expected.size + 2 * gone.length);
  }, 90_000);
});

describe('capture > snapshot --source while capture runs (mariadb)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('fences the running capture off, which stops; the next start takes the new snapshot', async () => {
    const kind = 'mariadb';
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    const table = uniqueName('resnap');
    const source = uniqueName('src');
    const prefix = uniqueName('rk');
    await db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL)`);
    cleanups.push(() => execOnce(kind, `DROP TABLE IF EXISTS ${table}`));
    await db.exec(`INSERT INTO ${table} (id, v) VALUES (1, 'a'), (2, 'b')`);
    const config = writeCaptureConfig({ kind, captureUrl: db.captureUrl, prefix, source, tables: [table] });
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
    let capture = new RowkubeProcess(['capture', '--config', config]);
    cleanups.push(() => capture.stop());
    const streaming = () =>
      waitFor(
        'capture to stream',
        async () => {
          const position = await readLastPosition({ kafka, prefix, name: source });
          return position?.file !== undefined && position.snapshot === undefined ? position : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
    await streaming();

    const command = new RowkubeProcess(['snapshot', '--config', config, '--source', source]);
    expect(await command.exited()).toBe(0);
    await db.exec(`DELETE FROM ${table} WHERE id = 2`);
    // Its next commit (the delete, or an idle position) is refused: the source stops for good.
    await waitFor(
      'the running capture to be fenced off',
      () => capture.text().includes('took over') || undefined,
      {
        timeoutMs: 20_000,
        intervalMs: 100,
      },
    );
    expect((await readLastPosition({ kafka, prefix, name: source }))?.snapshotRequested).toBeTypeOf('number');
    await capture.stop();

    capture = new RowkubeProcess(['capture', '--config', config]);
    await streaming();
    expect(capture.text()).toContain('re-snapshot requested');
    const records = await readRecords(`${prefix}.${source}.${table}`, prefix);
    const last = records.filter((r) => (r.key as { id: number }).id === 2).at(-1);
    expect(last?.value).toBeNull();
    expect(await capture.stop()).toBe(0);
  }, 60_000);
});
