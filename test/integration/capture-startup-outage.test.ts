import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, type TailRecord, tailTopic } from '../../src/kafka/index.js';
import {
  type DatabaseKind,
  dropReplicationSlot,
  openAdminDatabase,
  sourceKey,
} from '../../support/admin-database.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { freePort, TcpForwarder } from '../../support/tcp-forwarder.js';
import { waitFor } from '../../support/wait-for.js';

// Regression: `rowkube capture` (and `run`) with PostgreSQL down at start
// exited within a second ("every source failed", ROWKUBE_ERR_SOURCE_CONNECTION),
// and with Kafka down at start after about 20 s (ROWKUBE_ERR_KAFKA). Both are
// now waited out: one warn line per attempt, /readyz names what capture waits
// for, and a row written once the dependency is up reaches Kafka. The
// dependency is "down" behind a loopback port where nothing listens until
// the test starts forwarding it to the real service.
const env = stackEnv();

interface ReadyzBody {
  ready: boolean;
  components: Record<string, { ready: boolean; reason?: string }>;
}

function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

async function readChanges(topic: string, prefix: string): Promise<TailRecord[]> {
  const records: TailRecord[] = [];
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
  await tailTopic({ kafka, topic, prefix, fromBeginning: true, onRecord: (r) => void records.push(r) }).catch(
    () => 0, // the topic appears with the first change
  );
  return records;
}

describe.each(['mariadb', 'postgres'] as const)('capture > start-up outage (%s)', (kind: DatabaseKind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  /** A table, a source of the test's own, and `rowkube capture` pointed at `brokers` and `databaseUrl`. */
  async function start(options: { databaseUrl?: (url: string) => string; brokers?: string[] }) {
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    const table = uniqueName('outage');
    const source = uniqueName('src');
    const prefix = uniqueName('rk');
    await db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, note VARCHAR(32))`);
    cleanups.push(async () => {
      const admin = await openAdminDatabase(kind);
      try {
        await admin.exec(`DROP TABLE IF EXISTS ${table}`);
        if (kind === 'postgres') {
          await admin.exec(`DROP PUBLICATION IF EXISTS rowkube_${source}`);
          await dropReplicationSlot(`rowkube_${source}`);
        }
      } finally {
        await admin.close();
      }
    });
    if (kind === 'postgres') await db.exec(`CREATE PUBLICATION rowkube_${source} FOR TABLE ${table}`);
    const observabilityPort = await freePort();
    const url = options.databaseUrl?.(db.captureUrl) ?? db.captureUrl;
    const file = join(mkdtempSync(join(tmpdir(), 'rowkube-test-')), 'rowkube.yaml');
    writeFileSync(
      file,
      `kafka: { brokers: [${(options.brokers ?? env.kafkaBrokers).join(', ')}], topicPrefix: ${prefix} }
sources:
  - name: ${source}
    ${sourceKey(kind)}: { url: "${url}" }
    tables: [${table}]
observability: { port: ${observabilityPort} }
`,
    );
    const capture = new RowkubeProcess(['capture', '--config', file]);
    cleanups.push(() => capture.stop());
    const component = `capture/${source}`;
    // An exit fails the wait at once: ending is the regression these tests pin.
    const exited = capture.exited().then((code) => {
      throw new Error(`rowkube capture exited with ${code}:\n${capture.lastOutput(20)}`);
    });
    exited.catch(() => undefined);
    const running = <T>(
      what: string,
      probe: () => Promise<T | undefined> | T | undefined,
      timeoutMs = 60_000,
    ) =>
      Promise.race([
        waitFor(what, probe, { timeoutMs, intervalMs: 200 }).catch((error: Error) => {
          throw new Error(`${error.message}\ncapture output:\n${capture.lastOutput(20)}`);
        }),
        exited,
      ]);
    const readiness = async () => {
      const response = await fetch(`http://127.0.0.1:${observabilityPort}/readyz`);
      const body = (await response.json()) as ReadyzBody;
      return body.components[component];
    };
    /** Warn lines of the capture loop, one per failed attempt, for `phase`. */
    const retries = (phase: string) =>
      capture
        .text()
        .split('\n')
        .filter((line) => line.includes('"level":40') && line.includes(`"phase":"${phase}"`));
    const expectRowCaptured = async (id: number) => {
      await db.exec(`INSERT INTO ${table} VALUES (${id}, 'after the outage')`);
      const topic = `${prefix}.${source}.${table}`;
      const records = await running(`row ${id} in ${topic}`, async () => {
        const seen = await readChanges(topic, prefix);
        return seen.some((r) => (r.value as { after?: { id: number } }).after?.id === id) ? seen : undefined;
      });
      expect(records.length).toBeGreaterThanOrEqual(1);
    };
    return { capture, running, readiness, retries, expectRowCaptured };
  }

  it('waits for a database that is down at start, then captures a row written once it is up', async () => {
    const target = hostPort(kind === 'mariadb' ? new URL(env.mysqlUrl).host : new URL(env.pgUrl).host);
    const forwarder = await TcpForwarder.closed(target);
    cleanups.push(() => forwarder.close());
    const run = await start({ databaseUrl: (url) => forwarder.rewrite(url) });

    // Retried, not ended: one warn line per attempt, and /readyz says why capture is not ready.
    await run.running('three retries of the preflight', () =>
      run.retries('preflight').length >= 3 ? true : undefined,
    );
    const waiting = await run.running('/readyz to name the database', async () => {
      const state = await run.readiness();
      return state?.reason?.startsWith('connecting to the database') ? state : undefined;
    });
    expect(waiting.ready).toBe(false);
    expect(waiting.reason).toMatch(/ECONNREFUSED/);
    expect(run.capture.exitCode).toBeNull();

    await forwarder.open();
    await run.running('capture to stream', async () => ((await run.readiness())?.ready ? true : undefined));
    await run.expectRowCaptured(1);
  });

  // Kafka's side is the same for both databases: run it once.
  it.runIf(kind === 'mariadb')(
    'waits for Kafka that is down at start, then captures a row written once it is up',
    async () => {
      // Only the bootstrap address goes through the forwarder: once it answers, the client
      // talks to the broker at the address the broker advertises.
      const forwarder = await TcpForwarder.closed(hostPort(env.kafkaBrokers[0] as string));
      cleanups.push(() => forwarder.close());
      const run = await start({ brokers: [`127.0.0.1:${forwarder.port}`] });

      await run.running(
        'a retry of opening the Kafka sink',
        () => (run.retries('sink').length >= 1 ? true : undefined),
        90_000,
      );
      const waiting = await run.running('/readyz to name Kafka', async () => {
        const state = await run.readiness();
        return state?.reason?.startsWith('waiting for Kafka') ? state : undefined;
      });
      expect(waiting.ready).toBe(false);
      expect(run.capture.exitCode).toBeNull();

      await forwarder.open();
      await run.running(
        'capture to stream',
        async () => ((await run.readiness())?.ready ? true : undefined),
        90_000,
      );
      await run.expectRowCaptured(1);
    },
  );
});
