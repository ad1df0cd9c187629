import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, readLastPosition, readTopic } from '../../src/kafka/index.js';
import { dropReplicationSlot, execOnce, openAdminDatabase, sourceKey } from '../../support/admin-database.js';
import { writeConfigFile } from '../../support/config-file.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// A crashed snapshot resumes where it stopped: a 1,000,000-row table, capture
// killed (SIGKILL) once some chunks are committed, started again; the second
// process continues after the last committed chunk, and every row is in the
// change topic exactly once.
const env = stackEnv();
const ROWS = 1_000_000;
const CHUNK = 25_000;

/** The JSON log lines of a capture process with a given action. */
function logLines(process: RowkubeProcess, action: string): Record<string, unknown>[] {
  return process
    .text()
    .split('\n')
    .filter((line) => line.includes(`"action":"${action}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.each(['mariadb', 'postgres'] as const)('capture > snapshot > resume after a crash (%s)', (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it(`resumes a snapshot of ${ROWS} rows after a SIGKILL and delivers every row once`, async () => {
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    const table = uniqueName('resume');
    const source = uniqueName('src');
    const prefix = uniqueName('rk');
    // A cheap narrow table with a composite key, so that keyset pagination pages by both columns.
    await db.exec(`CREATE TABLE ${table} (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a, b))`);
    cleanups.push(() => execOnce(kind, `DROP TABLE IF EXISTS ${table}`));
    if (kind === 'mariadb') {
      await db.exec(`INSERT INTO ${table} SELECT seq DIV 1000, seq MOD 1000 FROM seq_1_to_${ROWS}`);
      await db.exec(`ANALYZE TABLE ${table}`);
    } else {
      await db.exec(`INSERT INTO ${table} SELECT i / 1000, i % 1000 FROM generate_series(1, ${ROWS}) AS i`);
      await db.exec(`ANALYZE ${table}`);
      await db.exec(`CREATE PUBLICATION rowkube_${source} FOR TABLE ${table}`);
      cleanups.push(() => execOnce(kind, `DROP PUBLICATION IF EXISTS rowkube_${source}`));
      cleanups.push(() => dropReplicationSlot(`rowkube_${source}`));
    }
    const config = writeConfigFile({
      kafka: { brokers: env.kafkaBrokers, topicPrefix: prefix },
      sources: [
        {
          name: source,
          [sourceKey(kind)]: { url: db.captureUrl },
          tables: [table],
          snapshotChunkRows: CHUNK,
        },
      ],
    });
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });

    let capture = new RowkubeProcess(['capture', '--config', config]);
    cleanups.push(() => capture.stop());
    const withOutput = async <T>(waiting: Promise<T>): Promise<T> =>
      waiting.catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\ncapture output:\n${capture.lastOutput()}`);
      });

    // Some chunks committed, the snapshot far from done: kill.
    await withOutput(
      waitFor(
        'a few snapshot chunks committed',
        () =>
          logLines(capture, 'snapshot-progress').some((l) => (l.rows as number) >= 3 * CHUNK) || undefined,
        { timeoutMs: 40_000, intervalMs: 50 },
      ),
    );
    await capture.kill();
    const stored = await readLastPosition({ kafka, prefix, name: source });
    expect(typeof stored?.snapshot).toBe('string');
    const progress = JSON.parse(String(stored?.snapshot)) as {
      rows: number;
      table: string;
      lastKey: unknown[];
    };
    expect(progress.rows).toBeGreaterThanOrEqual(3 * CHUNK);
    expect(progress.rows).toBeLessThan(ROWS);
    expect(progress.lastKey).toHaveLength(2);

    capture = new RowkubeProcess(['capture', '--config', config]);
    await withOutput(
      waitFor(
        'the snapshot to finish and the stream to start',
        async () => {
          const position = await readLastPosition({ kafka, prefix, name: source });
          return (position !== undefined && position.snapshot === undefined) || undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      ),
    );
    // Not from zero: the second process took over the stored progress.
    const resumed = logLines(capture, 'snapshot');
    expect(resumed[0]?.rows).toBe(progress.rows);
    const firstProgress = logLines(capture, 'snapshot-progress')[0];
    expect(firstProgress?.rows).toBeGreaterThan(progress.rows);

    // Every row exactly once, read_committed to the topic's end: count per key.
    const perKey = new Map<string, number>();
    let records = 0;
    await readTopic({
      kafka,
      topic: `${prefix}.${source}.${table}`,
      fromBeginning: true,
      follow: false,
      isolation: 'read_committed',
      onRecord: (record) => {
        records += 1;
        const key = record.key?.toString('hex') ?? '';
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
      },
    });
    expect(records).toBe(ROWS);
    expect(perKey.size).toBe(ROWS);
    expect(await capture.stop()).toBe(0);
  }, 120_000);
});
