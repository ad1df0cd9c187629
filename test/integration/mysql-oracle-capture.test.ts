import ZongJi from '@vlasky/zongji';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMysql, mysqlConnectionOptions } from '../../connectors/mysql/mysql-connection.js';
import { startMysqlCapture } from '../../support/mysql-capture-run.js';
import { RecordingSink } from '../../support/recording-sink.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';

// What only Oracle's MySQL has: GTID sets as positions, the snapshot's lock
// and its privileges, and binlog settings a session can switch on. The
// behaviour shared with MariaDB is in mysql-capture.test.ts.

describe('MySQL connector > Oracle MySQL', () => {
  const env = stackEnv({ needs: ['ORACLE_MYSQL_URL', 'ORACLE_MYSQL_ADMIN_URL'] });
  let admin: mysql.Connection;
  const cleanup: string[] = [];
  const table = async (prefix: string, columns = 'id INT PRIMARY KEY') => {
    const name = uniqueName(prefix);
    cleanup.push(`DROP TABLE IF EXISTS ${name}`);
    await admin.query(`CREATE TABLE ${name} (${columns})`);
    return name;
  };
  /** A capture user with the replication grants and `extra`, with MySQL's default authentication. */
  const user = async (extra: string[]) => {
    const name = uniqueName('rk').slice(0, 30);
    cleanup.push(`DROP USER IF EXISTS '${name}'@'127.0.0.1'`);
    await admin.query(`CREATE USER '${name}'@'127.0.0.1' IDENTIFIED BY 'pw'`);
    await admin.query(
      `GRANT ${['REPLICATION SLAVE', 'REPLICATION CLIENT', 'SELECT', ...extra].join(', ')} ON *.* TO '${name}'@'127.0.0.1'`,
    );
    const url = new URL(env.urls.ORACLE_MYSQL_URL);
    url.username = name;
    url.password = 'pw';
    return url.toString();
  };
  const gtidExecuted = async () => {
    const [rows] = await admin.query<RowDataPacket[]>('SELECT @@GLOBAL.gtid_executed AS gtid');
    return String(rows[0]?.gtid).replace(/\s+/g, '');
  };
  const sameGtidSet = async (a: unknown, b: string) => {
    const [rows] = await admin.query<RowDataPacket[]>(
      'SELECT GTID_SUBSET(?, ?) AND GTID_SUBSET(?, ?) AS same',
      [a, b, b, a],
    );
    return Number(rows[0]?.same) === 1;
  };
  const warnings = () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    return { logger, lines };
  };

  beforeAll(async () => {
    admin = await mysql.createConnection({ uri: env.urls.ORACLE_MYSQL_ADMIN_URL, multipleStatements: true });
  });
  afterAll(async () => {
    for (const sql of cleanup) await admin.query(sql).catch(() => undefined);
    await admin.end();
  });

  it('authenticates the caching_sha2_password user over plain TCP, binlog reader first, then the driver', async () => {
    const [users] = await admin.query<RowDataPacket[]>(
      "SELECT plugin FROM mysql.user WHERE user = 'rowkube_cdc' AND host = '127.0.0.1'",
    );
    expect(users.map((u) => u.plugin)).toEqual(['caching_sha2_password']);
    // An empty cache forces the full authentication (the server's RSA key) on the next connection.
    await admin.query('FLUSH PRIVILEGES');
    const zongji = new ZongJi(mysqlConnectionOptions(env.urls.ORACLE_MYSQL_URL));
    await new Promise<void>((resolve, reject) => {
      zongji.on('ready', () => resolve());
      zongji.on('error', reject);
      zongji.start({ serverId: 4_000_000 + process.pid, startAtEnd: true, includeEvents: ['rotate'] });
    });
    zongji.stop();
    await admin.query('FLUSH PRIVILEGES');
    const connection = await connectMysql(env.urls.ORACLE_MYSQL_URL);
    const [rows] = await connection.query<RowDataPacket[]>('SELECT CURRENT_USER() AS user');
    await connection.end();
    expect(rows[0]?.user).toBe('rowkube_cdc@127.0.0.1');
  });

  it("records the server's executed GTID set at the snapshot and at each commit", async () => {
    const t = await table('gtids');
    const sink = new RecordingSink();
    const capture = startMysqlCapture(env.urls.ORACLE_MYSQL_URL, [t], sink);
    try {
      const snapshot = await capture.until('the snapshot', () =>
        sink.transactions.find((x) => x.info.snapshot),
      );
      expect(await sameGtidSet(snapshot.info.position.gtid, await gtidExecuted())).toBe(true);
      for (let i = 1; i <= 3; i++) await admin.query(`INSERT INTO ${t} VALUES (${i})`);
      const last = await capture.until('three inserts', () =>
        sink.changes().length >= 3 ? sink.transactions.at(-1) : undefined,
      );
      expect(await sameGtidSet(last.info.position.gtid, await gtidExecuted())).toBe(true);
      // Each transaction is named by its own GTID, uuid:gno.
      expect(last.info.txId).toMatch(/^[0-9a-f-]{36}:\d+$/);
    } finally {
      await capture.stop();
    }
  });

  it('resumes from the GTID set when the stored binlog file was purged: nothing lost, nothing twice', async () => {
    const t = await table('purged');
    const sink = new RecordingSink();
    let capture = startMysqlCapture(env.urls.ORACLE_MYSQL_URL, [t], sink);
    await capture.until('the snapshot', () => sink.transactions.find((x) => x.info.snapshot));
    await admin.query(`INSERT INTO ${t} VALUES (1)`);
    await capture.until('the first insert', () => (sink.changes().length >= 1 ? true : undefined));
    await capture.stop();
    const stored = sink.lastPosition();

    await admin.query('FLUSH BINARY LOGS');
    await admin.query(`INSERT INTO ${t} VALUES (2), (3)`);
    const [status] = await admin.query<RowDataPacket[]>('SHOW BINARY LOG STATUS');
    await admin.query(`PURGE BINARY LOGS TO '${status[0]?.File}'`);
    const [logs] = await admin.query<RowDataPacket[]>('SHOW BINARY LOGS');
    expect(logs.map((r) => r.Log_name)).not.toContain(stored?.file);

    capture = startMysqlCapture(env.urls.ORACLE_MYSQL_URL, [t], sink);
    try {
      await capture.until('three inserts', () => (sink.changes().length >= 3 ? true : undefined));
      await admin.query(`INSERT INTO ${t} VALUES (4)`);
      await capture.until('four inserts', () => (sink.changes().length >= 4 ? true : undefined));
      expect(sink.changes().map((c) => c.after?.id)).toEqual([1, 2, 3, 4]);
      expect(sink.transactions.filter((x) => x.info.snapshot)).toHaveLength(1);
      expect(sink.lastPosition()?.file).toBe(status[0]?.File);
    } finally {
      await capture.stop();
    }
  });

  it('without RELOAD, snapshots under the backup lock and warns that the edge may be streamed twice', async () => {
    const t = await table('backuplock');
    await admin.query(`INSERT INTO ${t} VALUES (1)`);
    const url = await user(['BACKUP_ADMIN']);
    const sink = new RecordingSink();
    const log = warnings();
    const capture = startMysqlCapture(url, [t], sink, { logger: log.logger });
    try {
      const snapshot = await capture.until('the snapshot', () =>
        sink.transactions.find((x) => x.info.snapshot),
      );
      expect(snapshot.changes.map((c) => c.after)).toEqual([{ id: 1 }]);
      expect(await sameGtidSet(snapshot.info.position.gtid, await gtidExecuted())).toBe(true);
      await admin.query(`INSERT INTO ${t} VALUES (2)`);
      await capture.until('the insert', () => (sink.changes().length >= 2 ? true : undefined));
      expect(log.lines.join('')).toMatch(/BACKUP_ADMIN but not RELOAD/);
    } finally {
      await capture.stop();
    }
  });

  it('refuses to snapshot for a user that may take no lock, naming both grants', async () => {
    const t = await table('nolock');
    const capture = startMysqlCapture(await user([]), [t], new RecordingSink());
    await expect(capture.done).rejects.toThrow(
      /ROWKUBE_ERR_PRIVILEGES: source appdb: a MySQL snapshot needs a lock .*GRANT RELOAD ON \*\.\* TO <user>.*GRANT BACKUP_ADMIN ON \*\.\* TO <user>/,
    );
  });

  it.each([
    ['binlog_transaction_compression', 'ON', 'ROWKUBE_ERR_BINLOG_COMPRESSION'],
    ['binlog_row_value_options', "'PARTIAL_JSON'", 'ROWKUBE_ERR_BINLOG_ROW_VALUE_OPTIONS'],
  ])('stops for good when a session writes with %s=%s', async (variable, value, code) => {
    const t = await table('session', 'id INT PRIMARY KEY, doc JSON');
    await admin.query(`INSERT INTO ${t} VALUES (1, '{"a": 1}')`);
    const sink = new RecordingSink();
    const capture = startMysqlCapture(env.urls.ORACLE_MYSQL_URL, [t], sink);
    await capture.until('the snapshot', () => sink.transactions.find((x) => x.info.snapshot));
    const writer = await mysql.createConnection(env.urls.ORACLE_MYSQL_ADMIN_URL);
    try {
      await writer.query(`SET SESSION ${variable} = ${value}`);
      await writer.query(`UPDATE ${t} SET doc = JSON_SET(doc, '$.a', 2) WHERE id = 1`);
    } finally {
      await writer.end();
    }
    await expect(capture.done).rejects.toThrow(new RegExp(`^${code}: source appdb: the binlog holds`));
  });
});
