import { execFileSync } from 'node:child_process';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourcePosition } from '../../src/core/change-event.js';
import { ChangeEncoder, SchemaCodec, VALUE_SCHEMA_HEADER } from '../../src/kafka/index.js';
import { startMysqlCapture } from '../../support/mysql-capture-run.js';
import { RecordingSink } from '../../support/recording-sink.js';
import { type StackVariable, stackEnv, uniqueName } from '../../support/stack-env.js';

const startCapture = (url: string, tables: string[], sink: RecordingSink, offset?: SourcePosition) =>
  startMysqlCapture(url, tables, sink, offset ? { offset } : {});

// The same behaviour on MariaDB and on Oracle's MySQL, each its own stack part.
const SERVERS: { kind: 'mariadb' | 'mysql'; url: StackVariable; adminUrl: StackVariable }[] = [
  { kind: 'mariadb', url: 'MYSQL_URL', adminUrl: 'MYSQL_ADMIN_URL' },
  { kind: 'mysql', url: 'ORACLE_MYSQL_URL', adminUrl: 'ORACLE_MYSQL_ADMIN_URL' },
];

describe.each(SERVERS)('MySQL connector > capture on $kind', ({ kind, url, adminUrl }) => {
  const stack = stackEnv({ needs: [url, adminUrl] });
  const env = { mysqlUrl: stack.urls[url], mysqlAdminUrl: stack.urls[adminUrl] };
  let admin: mysql.Connection;
  const tables: string[] = [];
  const table = (prefix: string) => {
    const name = uniqueName(prefix);
    tables.push(name);
    return name;
  };

  beforeAll(async () => {
    admin = await mysql.createConnection({ uri: env.mysqlAdminUrl, multipleStatements: true });
    // MySQL's caching_sha2_password: an empty cache makes the capture user's
    // first connections (mysql2 and the binlog reader) take the full
    // authentication, with the server's RSA key over a plain connection.
    if (kind === 'mysql') await admin.query('FLUSH PRIVILEGES');
  });
  afterAll(async () => {
    for (const t of tables) await admin.query(`DROP TABLE IF EXISTS ${t}`);
    await admin.end();
  });

  it('snapshots existing rows, then streams inserts, updates, deletes and key changes in commit order', async () => {
    const t = table('tenants');
    await admin.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, name VARCHAR(64), plan VARCHAR(16) NULL)`);
    await admin.query(`INSERT INTO ${t} VALUES (1, 'acme', 'pro'), (2, 'zoë', NULL)`);
    const sink = new RecordingSink();
    const capture = startCapture(env.mysqlUrl, [t], sink);
    try {
      await capture.until('the snapshot', () =>
        sink.transactions.some((x) => x.info.snapshot) ? true : undefined,
      );
      expect(sink.changes().map((c) => [c.op, c.after])).toEqual([
        ['r', { id: 1, name: 'acme', plan: 'pro' }],
        ['r', { id: 2, name: 'zoë', plan: null }],
      ]);

      await admin.query(`INSERT INTO ${t} VALUES (3, 'globex', 'free')`);
      await admin.query(
        `START TRANSACTION; UPDATE ${t} SET plan = 'team' WHERE id = 3; DELETE FROM ${t} WHERE id = 1; COMMIT`,
      );
      await admin.query(`UPDATE ${t} SET id = 20 WHERE id = 2`);
      await capture.until('the stream', () => (sink.changes().length >= 6 ? true : undefined));

      const streamed = sink.transactions.filter((x) => !x.info.snapshot && x.changes.length > 0);
      expect(streamed.map((x) => x.changes.map((c) => [c.op, c.before, c.after]))).toEqual([
        [['c', null, { id: 3, name: 'globex', plan: 'free' }]],
        [
          ['u', { id: 3, name: 'globex', plan: 'free' }, { id: 3, name: 'globex', plan: 'team' }],
          ['d', { id: 1, name: 'acme', plan: 'pro' }, null],
        ],
        [['u', { id: 2, name: 'zoë', plan: null }, { id: 20, name: 'zoë', plan: null }]],
      ]);
      expect(
        streamed.every((x) => typeof x.info.position.file === 'string' && Number(x.info.position.pos) > 4),
      ).toBe(true);
    } finally {
      await capture.stop();
    }
  });

  it('delivers the type matrix with exact values', async () => {
    const t = table('types');
    await admin.query(`CREATE TABLE ${t} (
      id BIGINT UNSIGNED PRIMARY KEY, flag BOOLEAN, small SMALLINT, big BIGINT, money DECIMAL(30,9), ratio DOUBLE,
      label VARCHAR(32), mood ENUM('happy','sad'), doc JSON, raw VARBINARY(8), day DATE, clock TIME(6),
      wall DATETIME(6), instant TIMESTAMP(6) NULL, nothing INT NULL)`);
    const sink = new RecordingSink();
    const capture = startCapture(env.mysqlUrl, [t], sink);
    try {
      await capture.until('the snapshot', () =>
        sink.transactions.some((x) => x.info.snapshot) ? true : undefined,
      );
      await admin.query(`INSERT INTO ${t} VALUES (18446744073709551615, TRUE, -32768, -9223372036854775808,
        '12345678901234567890.123456789', 0.5, 'zoë 🚀', 'sad', '{"a": [1, 2]}', X'00FF10', '2024-02-29',
        '23:59:58.123456', '2024-02-29 23:59:58.123456', '2024-02-29 23:59:58.654321', NULL)`);
      const change = await capture.until('the insert', () => sink.changes().find((c) => c.op === 'c'));
      expect(change.after).toEqual({
        id: '18446744073709551615',
        flag: true,
        small: -32768,
        big: -9223372036854775808n,
        money: '12345678901234567890.123456789',
        ratio: 0.5,
        label: 'zoë 🚀',
        mood: 'sad',
        doc: '{"a": [1, 2]}',
        raw: Buffer.from([0x00, 0xff, 0x10]),
        day: '2024-02-29',
        clock: '23:59:58.123456',
        wall: '2024-02-29T23:59:58.123456',
        instant: '2024-02-29T23:59:58.654321Z',
        nothing: null,
      });
      expect(change.table.columns.find((c) => c.name === 'doc')?.kind).toBe('json');

      // Every value fits its Avro type and decodes back unchanged.
      const { messages, schemas } = new ChangeEncoder({ prefix: 'rk' }).encode(change, {
        snapshot: false,
        tsMs: 0,
      });
      const valueSchema = schemas.find((x) => x.id === messages[0]?.headers[VALUE_SCHEMA_HEADER]);
      const decoded = SchemaCodec.fromText(valueSchema?.text ?? '').decode(messages[0]?.value as Buffer);
      expect((decoded as { after: unknown }).after).toEqual(change.after);
    } finally {
      await capture.stop();
    }
  });

  it('decodes rows before and after an ALTER TABLE with the right columns', async () => {
    const t = table('altered');
    await admin.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, a VARCHAR(8), b VARCHAR(8))`);
    const sink = new RecordingSink();
    const capture = startCapture(env.mysqlUrl, [t], sink);
    try {
      await capture.until('the snapshot', () =>
        sink.transactions.some((x) => x.info.snapshot) ? true : undefined,
      );
      await admin.query(`INSERT INTO ${t} VALUES (1, 'a1', 'b1')`);
      await admin.query(`ALTER TABLE ${t} ADD COLUMN c INT NULL AFTER a`);
      await admin.query(`INSERT INTO ${t} VALUES (2, 'a2', 7, 'b2')`);
      await admin.query(`ALTER TABLE ${t} DROP COLUMN a`);
      await admin.query(`ALTER TABLE ${t} RENAME COLUMN b TO bee`);
      await admin.query(`INSERT INTO ${t} VALUES (3, 8, 'b3')`);
      await capture.until('three inserts', () =>
        sink.changes().filter((c) => c.op === 'c').length >= 3 ? true : undefined,
      );
      expect(
        sink
          .changes()
          .filter((c) => c.op === 'c')
          .map((c) => c.after),
      ).toEqual([
        { id: 1, a: 'a1', b: 'b1' },
        { id: 2, a: 'a2', c: 7, b: 'b2' },
        { id: 3, c: 8, bee: 'b3' },
      ]);
    } finally {
      await capture.stop();
    }
  });

  it('resumes from the stored position after a restart: nothing lost, nothing twice', async () => {
    const t = table('resume');
    await admin.query(`CREATE TABLE ${t} (id INT PRIMARY KEY)`);
    const sink = new RecordingSink();
    let capture = startCapture(env.mysqlUrl, [t], sink);
    await capture.until('the snapshot', () =>
      sink.transactions.some((x) => x.info.snapshot) ? true : undefined,
    );
    for (let i = 1; i <= 5; i++) await admin.query(`INSERT INTO ${t} VALUES (${i})`);
    await capture.until('five inserts', () => (sink.changes().length >= 5 ? true : undefined));
    await capture.stop();

    for (let i = 6; i <= 10; i++) await admin.query(`INSERT INTO ${t} VALUES (${i})`);
    capture = startCapture(env.mysqlUrl, [t], sink);
    try {
      await capture.until('ten inserts', () => (sink.changes().length >= 10 ? true : undefined));
      expect(sink.changes().map((c) => c.after?.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(sink.transactions.filter((x) => x.info.snapshot)).toHaveLength(1);
    } finally {
      await capture.stop();
    }
  });

  it('reconnects by itself after the database restarts, losing and repeating nothing', async () => {
    const t = table('restart');
    await admin.query(`CREATE TABLE ${t} (id INT PRIMARY KEY)`);
    const sink = new RecordingSink();
    const capture = startCapture(env.mysqlUrl, [t], sink);
    try {
      await capture.until('the snapshot', () =>
        sink.transactions.some((x) => x.info.snapshot) ? true : undefined,
      );
      for (let i = 1; i <= 3; i++) await admin.query(`INSERT INTO ${t} VALUES (${i})`);
      await capture.until('three inserts', () => (sink.changes().length >= 3 ? true : undefined));

      await admin.end();
      execFileSync('deploy/local/stack', ['down', kind], { stdio: 'ignore' });
      execFileSync('deploy/local/stack', ['up', kind], { stdio: 'ignore' });
      admin = await mysql.createConnection({ uri: env.mysqlAdminUrl, multipleStatements: true });

      for (let i = 4; i <= 6; i++) await admin.query(`INSERT INTO ${t} VALUES (${i})`);
      await capture.until('six inserts', () => (sink.changes().length >= 6 ? true : undefined), 60_000);
      expect(sink.changes().map((c) => c.after?.id)).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      await capture.stop();
    }
  });

  it('refuses a table without a primary key, naming it and the fix', async () => {
    const t = table('nokey');
    await admin.query(`CREATE TABLE ${t} (name VARCHAR(8))`);
    const capture = startCapture(env.mysqlUrl, [t], new RecordingSink());
    await expect(capture.done).rejects.toThrow(
      new RegExp(`ROWKUBE_ERR_NO_PRIMARY_KEY: .*${t} has no primary key`),
    );
  });

  it('refuses a table that does not exist', async () => {
    const capture = startCapture(env.mysqlUrl, ['no_such_table'], new RecordingSink());
    await expect(capture.done).rejects.toThrow(/ROWKUBE_ERR_TABLE_NOT_FOUND: .*no_such_table does not exist/);
  });
});
