// The demo behind `npm run demo` (scripts/demo.sh brings the stack up first).
// For MariaDB and then PostgreSQL: create a tenants table, start
// `rowkube capture` as its own process, write rows as an application would,
// and show each change arriving in Kafka with the time from COMMIT to Kafka.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createKafka, readLastPosition, type TailRecord, tailTopic } from '../src/kafka/index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through \`npm run demo\``);
  return value;
};
const brokers = env('KAFKA_BROKERS').split(',');
const kafka = createKafka({ brokers, clientId: 'rowkube-demo' });
const run = Date.now().toString(36);
const say = (text: string) => process.stdout.write(`${text}\n`);

interface Database {
  kind: 'mysql' | 'postgres';
  label: string;
  captureUrl: string;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

async function mariadb(): Promise<Database> {
  const c = await mysql.createConnection(env('MYSQL_ADMIN_URL'));
  return {
    kind: 'mysql',
    label: 'MariaDB (binlog)',
    captureUrl: env('MYSQL_URL'),
    exec: async (sql) => void (await c.query(sql)),
    close: () => c.end(),
  };
}

async function postgres(): Promise<Database> {
  const c = new pg.Client({ connectionString: env('PG_ADMIN_URL') });
  await c.connect();
  return {
    kind: 'postgres',
    label: 'PostgreSQL (logical replication)',
    captureUrl: env('PG_URL'),
    exec: async (sql) => void (await c.query(sql)),
    close: () => c.end(),
  };
}

function startCapture(config: string): ChildProcess {
  const child = spawn(process.execPath, ['bin/rowkube.js', 'capture', '--config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function demo(db: Database): Promise<void> {
  const source = `demo_${db.kind}_${run}`;
  const table = `tenants_${run}`;
  say(`\n== ${db.label}`);
  await db.exec(
    `CREATE TABLE ${table} (tenant_id VARCHAR(63) PRIMARY KEY, domain VARCHAR(253), plan VARCHAR(16), replicas INT, active BOOLEAN)`,
  );
  if (db.kind === 'postgres') await db.exec(`CREATE PUBLICATION rowkube_${source} FOR TABLE ${table}`);
  await db.exec(`INSERT INTO ${table} VALUES ('initech', 'initech.example', 'free', 1, TRUE)`);

  const config = join(mkdtempSync(join(tmpdir(), 'rowkube-demo-')), 'rowkube.yaml');
  writeFileSync(
    config,
    `kafka: { brokers: [${brokers.join(', ')}], topicPrefix: demo }
sources:
  - name: ${source}
    ${db.kind}: { url: "${db.captureUrl}" }
    tables: [${table}]
`,
  );
  say(`$ rowkube capture --config ${config}`);
  const started = Date.now();
  const capture = startCapture(config);
  while (!(await readLastPosition({ kafka, prefix: 'demo', name: source }))) {
    await new Promise((r) => setTimeout(r, 100));
  }
  say(`snapshot of ${table} stored in ${Date.now() - started} ms (1 existing row)`);

  // Follow the change topic; each step waits for its records to arrive.
  const topic = `demo.${source}.${table}`;
  const arrived: { record: TailRecord; at: number }[] = [];
  const stopTail = new AbortController();
  const tail = tailTopic({
    kafka,
    topic,
    prefix: 'demo',
    fromBeginning: true,
    follow: true,
    signal: stopTail.signal,
    onRecord: (record) => void arrived.push({ record, at: Date.now() }),
  });
  let seen = 0;
  const step = async (title: string, sql: string | undefined, records: number) => {
    if (sql) await db.exec(sql);
    const committedAt = sql ? Date.now() : started;
    while (arrived.length < seen + records) await new Promise((r) => setTimeout(r, 2));
    const batch = arrived.slice(seen, seen + records);
    seen += records;
    say(`\n${title}${sql ? `\n  ${sql}` : ''}`);
    for (const { record, at } of batch) {
      const value = record.value as { op: string; before: unknown; after: unknown } | null;
      const row =
        value?.op === 'd'
          ? `before=${JSON.stringify(value.before)}`
          : `after=${JSON.stringify(value?.after)}`;
      const what = value === null ? 'tombstone' : `op=${value.op} ${row}`;
      say(
        `  → ${topic} key=${JSON.stringify(record.key)} ${what}  (${at - committedAt} ms after ${sql ? 'COMMIT' : 'capture started'})`,
      );
    }
  };
  await step('The row that existed before capture started arrives as a snapshot read:', undefined, 1);
  await step('A new tenant:', `INSERT INTO ${table} VALUES ('acme', 'acme.example', 'pro', 2, TRUE)`, 1);
  await step('Scale it:', `UPDATE ${table} SET replicas = 3 WHERE tenant_id = 'acme'`, 1);
  await step('Deactivate another:', `UPDATE ${table} SET active = FALSE WHERE tenant_id = 'initech'`, 1);
  await step(
    'Delete it (a delete is followed by a tombstone):',
    `DELETE FROM ${table} WHERE tenant_id = 'initech'`,
    2,
  );

  stopTail.abort();
  await tail;
  capture.kill('SIGTERM');
  const [code] = await once(capture, 'exit');
  say(`\ncapture stopped on SIGTERM (exit code ${code}); its position is stored in demo._offsets`);
  say(`read the topic yourself: npx rowkube tail ${topic} --brokers ${brokers.join(',')}`);
  if (db.kind === 'postgres') {
    // A slot left behind would pin WAL forever.
    await db.exec(`SELECT pg_drop_replication_slot('rowkube_${source}')`);
    await db.exec(`DROP PUBLICATION rowkube_${source}`);
  }
  await db.exec(`DROP TABLE ${table}`);
}

for (const open of [mariadb, postgres]) {
  const db = await open();
  try {
    await demo(db);
  } finally {
    await db.close();
  }
}
say(
  '\nNext in rowkube: the processor renders Kubernetes resources from these rows, and the sink applies them.',
);
process.exit(0);
