import { afterAll, describe, expect, it } from 'vitest';
import { schemaHistoryTopic } from '../../src/contracts/index.js';
import { createKafka, readSchemaHistory, readTopic } from '../../src/kafka/index.js';
import { type DatabaseKind, execOnce, openAdminDatabase } from '../../support/admin-database.js';
import { readChangeTopic, startKafkaCapture } from '../../support/kafka-capture.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Regression (issue 11): a restart across an ALTER TABLE described the events
// written before the ALTER from the binlog's metadata, whose key column is
// nullable, so the Kafka key of id 18 went from 18 to 0218 and compaction kept
// both keys: a later delete left the old create behind. With the schema
// history the key bytes of a row never change, and after a delete nothing but
// the tombstone is left for it.

const env = stackEnv({ needs: ['KAFKA_BROKERS'] });
const kinds: DatabaseKind[] = ['mariadb', 'mysql'];

describe.each(kinds)('capture > key bytes across an ALTER and a restart (%s)', (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('writes every record of a key with the same key bytes, ending in a tombstone', async () => {
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    const table = uniqueName('keybytes');
    const source = uniqueName('src');
    const prefix = uniqueName('rk');
    await db.exec(
      `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, flag BOOLEAN NOT NULL, doc JSON, name VARCHAR(20))`,
    );
    cleanups.push(() => execOnce(kind, `DROP TABLE IF EXISTS ${table}`));
    const options = { kind, captureUrl: db.captureUrl, source, prefix, tables: [table] };
    const database = new URL(db.captureUrl).pathname.slice(1);
    const topicTable = { source, database, table };
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
    const recordsOf18 = async () =>
      (await readChangeTopic(prefix, topicTable, kafka)).filter((r) => String(r.decodedKey.id) === '18');

    let capture = startKafkaCapture(options);
    cleanups.push(() => capture.stop());
    await capture.positioned();
    await db.exec(`INSERT INTO ${table} VALUES (18, TRUE, '{"a":1}', 'first')`);
    await waitFor('the insert in Kafka', async () => ((await recordsOf18()).length === 1 ? true : undefined));
    await capture.stop();

    // While capture is down: an update under the old definition, the ALTER, an update under the new one.
    await db.exec(`UPDATE ${table} SET name = 'before-alter', flag = FALSE WHERE id = 18`);
    // The column names of the event before it match the new definition's but
    // for `extra`; `flag` changes kind, so only the history tells the two apart.
    await db.exec(
      `ALTER TABLE ${table} ADD COLUMN extra VARCHAR(10) NULL AFTER id, MODIFY flag INT NOT NULL`,
    );
    await db.exec(`UPDATE ${table} SET name = 'after-alter', extra = 'x' WHERE id = 18`);

    capture = startKafkaCapture(options);
    await capture.positioned();
    await db.exec(`DELETE FROM ${table} WHERE id = 18`);
    const records = await waitFor('the delete and its tombstone', async () => {
      const all = await recordsOf18();
      return all.at(-1)?.value === null ? all : undefined;
    });
    await capture.stop();

    expect(records.map((r) => r.value?.op ?? 'tombstone')).toEqual(['c', 'u', 'u', 'd', 'tombstone']);
    // One key, byte for byte: compaction leaves nothing but the tombstone.
    expect(new Set(records.map((r) => r.key.toString('hex')))).toEqual(new Set(['24']));
    // BOOLEAN and JSON read as their definition of then: flag is an INT only after the ALTER.
    const afters = records.filter((r) => r.value?.after).map((r) => r.value?.after);
    // MySQL's JSON type prints its normal form; MariaDB's JSON is text as written.
    const doc = kind === 'mysql' ? '{"a": 1}' : '{"a":1}';
    expect(afters.map((a) => [a?.flag, a?.doc, a?.name])).toEqual([
      [true, doc, 'first'],
      [false, doc, 'before-alter'],
      [0, doc, 'after-alter'],
    ]);
    expect(records[1]?.value?.after).not.toHaveProperty('extra');
    expect(records[2]?.value?.after).toMatchObject({ extra: 'x' });

    // The history holds both definitions, each with the position it took effect at.
    const history = await readSchemaHistory({ kafka, prefix, source });
    expect(history.map((v) => v.table.columns.map((c) => c.name))).toEqual([
      ['id', 'flag', 'doc', 'name'],
      ['id', 'extra', 'flag', 'doc', 'name'],
    ]);
    let historyRecords = 0;
    await readTopic({
      kafka,
      topic: schemaHistoryTopic(prefix),
      fromBeginning: true,
      follow: false,
      onRecord: () => void historyRecords++,
    });
    expect(historyRecords).toBe(2);
  });
  it('reads events of a definition nobody recorded (two ALTERs while down) by their column names, key unchanged', async () => {
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    const table = uniqueName('twoalters');
    const source = uniqueName('src');
    const prefix = uniqueName('rk');
    await db.exec(`CREATE TABLE ${table} (id BIGINT PRIMARY KEY, flag BOOLEAN NOT NULL, doc JSON)`);
    cleanups.push(() => execOnce(kind, `DROP TABLE IF EXISTS ${table}`));
    const options = { kind, captureUrl: db.captureUrl, source, prefix, tables: [table] };
    const database = new URL(db.captureUrl).pathname.slice(1);
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
    const read = () => readChangeTopic(prefix, { source, database, table }, kafka);

    let capture = startKafkaCapture(options);
    cleanups.push(() => capture.stop());
    await capture.positioned();
    await db.exec(`INSERT INTO ${table} VALUES (1, TRUE, '[1]')`);
    await waitFor('the first insert', async () => ((await read()).length === 1 ? true : undefined));
    await capture.stop();

    // Capture is down for two ALTERs: rows written between them have a shape that exists no more.
    await db.exec(`INSERT INTO ${table} VALUES (2, FALSE, '[2]')`);
    await db.exec(`ALTER TABLE ${table} ADD COLUMN a INT NULL AFTER id`);
    await db.exec(`INSERT INTO ${table} VALUES (3, 30, TRUE, '[3]')`);
    await db.exec(`ALTER TABLE ${table} ADD COLUMN b INT NULL`);
    await db.exec(`INSERT INTO ${table} VALUES (4, 40, FALSE, '[4]', 400)`);
    capture = startKafkaCapture(options);
    await capture.positioned();
    const records = await waitFor('every insert', async () => {
      const all = await read();
      return all.length === 4 ? all : undefined;
    });
    await capture.stop();

    // A one-element array prints the same on MySQL and MariaDB.
    const json = (n: number) => `[${n}]`;
    expect(records.map((r) => r.value?.after)).toEqual([
      { id: 1n, flag: true, doc: json(1) },
      { id: 2n, flag: false, doc: json(2) },
      { id: 3n, a: 30, flag: true, doc: json(3) },
      { id: 4n, a: 40, flag: false, doc: json(4), b: 400 },
    ]);
    expect(records.map((r) => r.key.toString('hex'))).toEqual(['02', '04', '06', '08']);
    const history = await readSchemaHistory({ kafka, prefix, source });
    expect(history.map((v) => v.table.columns.map((c) => `${c.name}:${c.kind}`))).toEqual([
      ['id:long', 'flag:boolean', 'doc:json'],
      // At the first ALTER the database already said what the second made of it…
      ['id:long', 'a:int', 'flag:boolean', 'doc:json', 'b:int'],
      // …so the row between the two was described by its column names…
      ['id:long', 'a:int', 'flag:boolean', 'doc:json'],
      // …and the second ALTER brought the definition of today back.
      ['id:long', 'a:int', 'flag:boolean', 'doc:json', 'b:int'],
    ]);
  });
});
