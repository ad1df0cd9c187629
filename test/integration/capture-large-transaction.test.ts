import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, readLastPosition, readTopic } from '../../src/kafka/index.js';
import { openAdminDatabase } from '../../support/admin-database.js';
import { writeCaptureConfig } from '../../support/config-file.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// A transaction of 100,000 rows of 1 KB each is ~100 MB of row data; the
// capture process runs with a 256 MB heap, so it survives only if it streams
// the transaction through instead of holding it.
const env = stackEnv();
const ROWS = 100_000;
const HEAP_MB = 256;

describe.each(['mariadb', 'postgres'] as const)('capture > a 100,000-row transaction (%s)', (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it(`streams it into Kafka within a ${HEAP_MB} MB heap`, async () => {
    const table = uniqueName('big');
    const source = uniqueName('src');
    const prefix = uniqueName('rk');
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    const exec = db.exec;
    await exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, payload TEXT NOT NULL)`);
    cleanups.push(() => exec(`DROP TABLE IF EXISTS ${table}`));
    if (kind === 'postgres') {
      await exec(`CREATE PUBLICATION rowkube_${source} FOR TABLE ${table}`);
      cleanups.push(() => exec(`SELECT pg_drop_replication_slot('rowkube_${source}')`));
      cleanups.push(() => exec(`DROP PUBLICATION IF EXISTS rowkube_${source}`));
    }
    const config = writeCaptureConfig({ kind, captureUrl: db.captureUrl, prefix, source, tables: [table] });
    const capture = new RowkubeProcess(['capture', '--config', config], [`--max-old-space-size=${HEAP_MB}`]);
    cleanups.push(() => capture.stop());
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
    await waitFor('the first snapshot', () => readLastPosition({ kafka, prefix, name: source }), {
      timeoutMs: 60_000,
    });

    // One statement, one transaction: 100,000 rows of 1 KB.
    await exec(
      kind === 'mariadb'
        ? `INSERT INTO ${table} SELECT seq, REPEAT('x', 1024) FROM seq_1_to_${ROWS}`
        : `INSERT INTO ${table} SELECT g, repeat('x', 1024) FROM generate_series(1, ${ROWS}) g`,
    );

    const topic = `${prefix}.${source}.${table}`;
    let count = 0;
    await waitFor(
      `${ROWS} records in ${topic}`,
      async () => {
        if (capture.exitCode !== null) throw new Error(`capture exited:\n${capture.lastOutput()}`);
        count = 0;
        await readTopic({
          kafka,
          topic,
          fromBeginning: true,
          follow: false,
          onRecord: () => void count++,
          allowMissing: true,
        });
        return count >= ROWS ? count : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 2_000 },
    );
    expect(count).toBe(ROWS);
    expect(capture.exitCode).toBeNull();
    expect(await capture.stop()).toBe(0);
  }, 300_000);
});
