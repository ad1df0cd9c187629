import ZongJi, { type AnyBinlogEvent, type WriteRowsEvent } from '@vlasky/zongji';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Smoke test of the local stack: MariaDB runs with a ROW binlog and the capture
// user may stream it. A row written by the application user arrives as a
// zongji row event carrying the row's values by column name.
describe('local stack > MariaDB binlog', () => {
  const env = stackEnv();
  const table = uniqueName('smoke');
  let admin: mysql.Connection;

  beforeAll(async () => {
    admin = await mysql.createConnection(env.mysqlAdminUrl);
    await admin.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL)`);
  });

  afterAll(async () => {
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
  });

  it('delivers an inserted row as a writerows event', async () => {
    const capture = new URL(env.mysqlUrl);
    const database = capture.pathname.slice(1);
    const zongji = new ZongJi({
      host: capture.hostname,
      port: Number(capture.port),
      user: decodeURIComponent(capture.username),
      password: decodeURIComponent(capture.password),
    });
    const events: AnyBinlogEvent[] = [];
    zongji.on('binlog', (event) => events.push(event));
    const errors: Error[] = [];
    zongji.on('error', (error) => errors.push(error));
    try {
      const ready = new Promise<void>((resolve) => zongji.once('ready', () => resolve()));
      zongji.start({
        // A server id of its own: two binlog readers with the same id evict each other.
        serverId: 10_000 + Math.floor(Math.random() * 50_000),
        startAtEnd: true,
        // Without tablemap, row events are dropped silently (DESIGN.md field notes).
        includeEvents: ['tablemap', 'writerows'],
        includeSchema: { [database]: [table] },
      });
      await ready;

      await admin.query(`INSERT INTO ${table} (id, name) VALUES (?, ?)`, [1, 'zoë']);

      const event = await waitFor('the writerows event', () =>
        events.find((e): e is WriteRowsEvent => e.getEventName() === 'writerows'),
      );
      expect(errors).toEqual([]);
      expect(event.tableMap[event.tableId]?.tableName).toBe(table);
      expect(event.rows).toEqual([{ id: 1, name: 'zoë' }]);
    } finally {
      zongji.stop();
    }
  });
});
